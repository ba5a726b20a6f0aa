// The settings page's words.
import type { Language } from "../../platform/i18n.js";

export interface SettingsWords {
  title: string;
  usersHeading: string;
  login: string;
  role: string;
  roles: { owner: string; staff: string };
  lockedUntil: (until: string) => string;
  addStaff: string;
  addStaffHelp: string;
  remove: string;
  staffAdded: (login: string) => string;
  passwordOnce: string;
  backToSettings: string;
  staffRemoved: (login: string) => string;
  loginTaken: (login: string) => string;
  loginFormat: string;
  userNotFound: string;
}

export const SETTINGS_WORDS: Record<Language, SettingsWords> = {
  ko: {
    title: "설정",
    usersHeading: "직원 계정",
    login: "아이디",
    role: "역할",
    roles: { owner: "대표", staff: "직원" },
    lockedUntil: (until) => `${until}까지 잠김`,
    addStaff: "직원 추가",
    addStaffHelp: "영문 소문자, 숫자, 점, 하이픈, 밑줄 또는 @, 3~64자",
    remove: "삭제",
    staffAdded: (login) => `직원 ${login} 계정을 만들었습니다.`,
    passwordOnce: "처음 비밀번호입니다. 이 화면에서만 한 번 보이니 지금 직원에게 전해 주세요:",
    backToSettings: "설정으로 돌아가기",
    staffRemoved: (login) => `직원 ${login} 계정을 삭제했습니다.`,
    loginTaken: (login) => `아이디 ${login}은(는) 이미 쓰이고 있습니다. 다른 아이디를 정해 주세요.`,
    loginFormat: "아이디는 영문 소문자, 숫자, 점, 하이픈, 밑줄 또는 @로 3~64자입니다.",
    userNotFound: "그런 직원 계정이 없습니다.",
  },
  en: {
    title: "Settings",
    usersHeading: "Console users",
    login: "Login",
    role: "Role",
    roles: { owner: "Owner", staff: "Staff" },
    lockedUntil: (until) => `locked until ${until}`,
    addStaff: "Add staff",
    addStaffHelp: "Letters, digits, dot, dash, underscore or @; 3 to 64",
    remove: "Remove",
    staffAdded: (login) => `Staff login ${login} created.`,
    passwordOnce: "Their first password, shown on this page only, once. Give it to them now:",
    backToSettings: "Back to settings",
    staffRemoved: (login) => `Staff login ${login} removed.`,
    loginTaken: (login) => `The login ${login} is taken. Please choose another.`,
    loginFormat: "A login is 3 to 64 letters, digits, dots, dashes, underscores or @.",
    userNotFound: "No such staff login.",
  },
};
