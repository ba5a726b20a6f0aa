// The part of fs-native-extensions that stampd uses (the package ships no types).
declare module "fs-native-extensions" {
  /** An exclusive (or shared) advisory lock on an open file; false when another holder has it. */
  export function tryLock(fd: number, opts?: { shared?: boolean }): boolean;
  export function unlock(fd: number): void;
}
