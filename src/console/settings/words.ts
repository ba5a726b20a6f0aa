// The settings page's words.
import type { Language } from "../../platform/i18n.js";

export interface SettingsWords {
  title: string;
  shownOnce: string;
  backToSettings: string;
  created: string;
  // Console users
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
  staffRemoved: (login: string) => string;
  loginTaken: (login: string) => string;
  loginFormat: string;
  userNotFound: string;
  // API keys
  keysHeading: string;
  keysHelp: string;
  keyPrefix: string;
  keyLabel: string;
  keyState: string;
  keyActive: string;
  keyRevokedAt: (at: string) => string;
  noKeys: string;
  revoke: string;
  createKey: string;
  keyCreated: string;
  keyOnce: string;
  keyRevoked: (prefix: string) => string;
  keyNotFound: string;
  // Webhook
  webhookHeading: string;
  webhookNone: string;
  webhookUrl: string;
  webhookSet: string;
  webhookClear: string;
  webhookSaved: string;
  webhookSecretOnce: string;
  webhookCleared: string;
  webhookRefused: (why: string) => string;
  deliveriesHeading: string;
  noDeliveries: string;
  event: string;
  status: string;
  attempts: string;
  lastAnswer: string;
  eventStatus: { pending: string; delivered: string; failed: string };
  // Limits
  limitHeading: string;
  dailyLimit: string;
  callsToday: string;
  timeZone: string;
  limitHelp: string;
}

export const SETTINGS_WORDS: Record<Language, SettingsWords> = {
  ko: {
    title: "설정",
    shownOnce: "이 화면에서 한 번만 보입니다. 지금 안전한 곳에 보관하세요.",
    backToSettings: "설정으로 돌아가기",
    created: "만든 날",
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
    staffRemoved: (login) => `직원 ${login} 계정을 삭제했습니다.`,
    loginTaken: (login) => `아이디 ${login}은(는) 이미 쓰이고 있습니다. 다른 아이디를 정해 주세요.`,
    loginFormat: "아이디는 영문 소문자, 숫자, 점, 하이픈, 밑줄 또는 @로 3~64자입니다.",
    userNotFound: "그런 직원 계정이 없습니다.",
    keysHeading: "스탬프 API 키",
    keysHelp: "스탬프 카드 API를 쓰는 프로그램에 줄 키입니다.",
    keyPrefix: "키 앞부분",
    keyLabel: "메모",
    keyState: "상태",
    keyActive: "사용 중",
    keyRevokedAt: (at) => `${at} 폐기됨`,
    noKeys: "아직 키가 없습니다.",
    revoke: "폐기",
    createKey: "새 키 만들기",
    keyCreated: "새 API 키를 만들었습니다.",
    keyOnce: "새 API 키입니다:",
    keyRevoked: (prefix) => `키 ${prefix}…를 폐기했습니다. 이제 쓸 수 없습니다.`,
    keyNotFound: "그런 키가 없습니다.",
    webhookHeading: "웹훅",
    webhookNone: "등록된 웹훅이 없습니다.",
    webhookUrl: "웹훅 주소 (http 또는 https)",
    webhookSet: "웹훅 저장",
    webhookClear: "웹훅 해제",
    webhookSaved: "웹훅을 저장했습니다.",
    webhookSecretOnce: "웹훅 서명 키입니다. 받는 서버에 설정하세요:",
    webhookCleared: "웹훅을 해제했습니다.",
    webhookRefused: (why) => `이 주소는 쓸 수 없습니다: ${why}`,
    deliveriesHeading: "최근 전송",
    noDeliveries: "아직 전송된 이벤트가 없습니다.",
    event: "이벤트",
    status: "상태",
    attempts: "시도",
    lastAnswer: "마지막 응답",
    eventStatus: { pending: "대기", delivered: "전달됨", failed: "실패" },
    limitHeading: "일일 호출 한도",
    dailyLimit: "하루 한도",
    callsToday: "오늘 사용",
    timeZone: "시간대",
    limitHelp: "OPEN API 호출 수입니다. 한도와 하루를 정하는 시간대는 운영자가 정합니다.",
  },
  en: {
    title: "Settings",
    shownOnce: "Shown on this page only, once. Keep it somewhere safe now.",
    backToSettings: "Back to settings",
    created: "Created",
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
    staffRemoved: (login) => `Staff login ${login} removed.`,
    loginTaken: (login) => `The login ${login} is taken. Please choose another.`,
    loginFormat: "A login is 3 to 64 letters, digits, dots, dashes, underscores or @.",
    userNotFound: "No such staff login.",
    keysHeading: "Stamp API keys",
    keysHelp: "Keys for the programs that use the stamp-card API.",
    keyPrefix: "Key starts",
    keyLabel: "Label",
    keyState: "State",
    keyActive: "active",
    keyRevokedAt: (at) => `revoked ${at}`,
    noKeys: "No keys yet.",
    revoke: "Revoke",
    createKey: "Create a key",
    keyCreated: "A new API key was created.",
    keyOnce: "The new API key:",
    keyRevoked: (prefix) => `Key ${prefix}… revoked. It no longer works.`,
    keyNotFound: "No such key.",
    webhookHeading: "Webhook",
    webhookNone: "No webhook is set.",
    webhookUrl: "Webhook URL (http or https)",
    webhookSet: "Save webhook",
    webhookClear: "Remove webhook",
    webhookSaved: "The webhook was saved.",
    webhookSecretOnce: "The webhook's signing secret; set it on the receiving server:",
    webhookCleared: "The webhook was removed.",
    webhookRefused: (why) => `This URL cannot be used: ${why}`,
    deliveriesHeading: "Recent deliveries",
    noDeliveries: "No events sent yet.",
    event: "Event",
    status: "Status",
    attempts: "Attempts",
    lastAnswer: "Last answer",
    eventStatus: { pending: "pending", delivered: "delivered", failed: "failed" },
    limitHeading: "Daily call limit",
    dailyLimit: "Limit per day",
    callsToday: "Used today",
    timeZone: "Time zone",
    limitHelp: "OPEN API calls. The operator sets the limit, and the time zone that decides the day.",
  },
};
