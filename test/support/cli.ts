// The `stampd` command line: run in the test process through main(argv) (what the command runs,
// without a process and tsx's start-up per command), or as a real child process where the process
// itself is the point (its exit code as the shell sees it).
import { spawn } from "node:child_process";
import { main } from "../../src/cli/program.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ENTRY = ["--import", "tsx", "src/cli/main.ts"];

/** The environment of a command: the caller's, minus any DATABASE_URL unless given. */
function commandEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: "silent", ...env };
}

/** Runs `stampd <args>` in this process with `env` as its environment (stderr a terminal if told). */
export async function stampd(args: string[], env: Record<string, string>, stderrIsTerminal = false): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "stampd", ...args], {
    env: commandEnv(env),
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stderrIsTerminal,
  });
  return { code, stdout, stderr };
}

/** Runs `stampd <args>` as a child process, the way a shell runs it. */
export function stampdProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], { env: commandEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
