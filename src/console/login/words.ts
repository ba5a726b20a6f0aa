// The login page's words.
import type { Language } from "../../platform/i18n.js";

export const LOGIN_WORDS: Record<
  Language,
  { title: string; login: string; password: string; submit: string; refused: string; loggedOut: string }
> = {
  ko: {
    title: "로그인",
    login: "아이디",
    password: "비밀번호",
    submit: "로그인",
    // The same words whatever the reason: they never say whether the login exists.
    refused: "아이디 또는 비밀번호가 맞지 않습니다. 5번 틀리면 한동안 로그인할 수 없습니다.",
    loggedOut: "로그아웃되었습니다.",
  },
  en: {
    title: "Log in",
    login: "Login",
    password: "Password",
    submit: "Log in",
    refused: "Wrong login or password. After 5 wrong tries, logging in is locked for a while.",
    loggedOut: "You are logged out.",
  },
};
