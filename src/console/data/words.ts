// The import / export page's words.
import type { Language } from "../../platform/i18n.js";
import type { ImportSummary } from "../../import-export/import.js";
import { INT_MAX } from "../../platform/input.js";
import { LINE_PROBLEM_WORDS, type LineProblemWords } from "../../import-export/import-file.js";

/** What is wrong with an import line, in Korean (English: the import's own words). */
const LINE_PROBLEMS_KO: LineProblemWords = {
  unreadable: (p) => `CSV로 읽을 수 없는 줄입니다: ${p.detail}`,
  empty_file: () => "빈 파일입니다. 첫 줄에 열 이름이 있어야 합니다.",
  second_column: (p) => `${p.column} 열이 두 번 있습니다 (처음: ${p.first})`,
  no_member_column: () => "휴대폰번호 또는 고객번호 열이 있어야 합니다.",
  not_mobile: () => "휴대폰 번호가 아닙니다.",
  bad_member_no: () => `1부터 ${INT_MAX}까지의 정수여야 합니다.`,
  no_member: () => "휴대폰번호가 필요합니다 (또는 이미 있는 고객번호).",
  bad_balance: () => `0부터 ${INT_MAX}까지의 정수여야 합니다.`,
  bad_joined: () => "날짜는 YYYY-MM-DD 또는 YYYY-MM-DD HH:mm:ss 형식이어야 합니다.",
  nul_in_memo: () => "NUL 문자를 넣을 수 없습니다.",
  same_as_line: (p) => `${p.line}번째 줄과 ${p.column === "phone" ? "휴대폰번호" : "고객번호"}가 같습니다.`,
  number_taken: (p) => `고객번호 ${p.memberNo}은(는) 다른 휴대폰 번호의 고객입니다.`,
  phone_has_other_number: () => "이 휴대폰 번호는 다른 고객번호로 이미 등록되어 있습니다.",
  member_not_found: (p) => `휴대폰번호가 필요합니다: 고객번호 ${p.memberNo}인 고객이 없습니다.`,
  member_named_twice: () => "파일의 다른 줄과 같은 고객을 가리킵니다.",
  already_imported: () => "이 매장(풀)에 이미 가져온 고객입니다.",
  above_maximum: () => `고객의 잔액이 ${INT_MAX}을(를) 넘게 됩니다.`,
};

export interface DataWords {
  title: string;
  importHeading: string;
  importHelp: string;
  sizeLimit: (kb: number) => string;
  file: string;
  check: string;
  previewTitle: string;
  fileName: (name: string) => string;
  summary: Record<Exclude<keyof ImportSummary, "dry_run">, string>;
  readyToImport: string;
  confirm: string;
  cancel: string;
  wrongLines: (n: number) => string;
  errorLine: string;
  errorColumn: string;
  errorReason: string;
  moreWrongLines: (n: number) => string;
  problems: LineProblemWords;
  fixAndRetry: string;
  noFile: string;
  unreadable: string;
  uploadGone: string;
  conflict: string;
  imported: (members: number, balance: number) => string;
  exportHeading: string;
  exportHelp: string;
  exportMembers: string;
  exportHistory: string;
  historyRange: string;
  from: string;
  to: string;
  badRange: string;
}

export const DATA_WORDS: Record<Language, DataWords> = {
  ko: {
    title: "가져오기·내보내기",
    importHeading: "고객 가져오기",
    importHelp:
      "스탬팡 등에서 받은 고객 목록(CSV, UTF-8 또는 엑셀의 CP949)을 올리면 먼저 확인만 하고, 틀린 줄이 없을 때 확정하면 가져옵니다. 열: 휴대폰, 고객번호, 보유스탬프(포인트), 가입일, 메모.",
    sizeLimit: (kb) => `파일은 ${kb}KB까지 올릴 수 있습니다. 더 큰 파일은 서버 관리자에게 'stampd import members'로 부탁하세요.`,
    file: "CSV 파일",
    check: "파일 확인",
    previewTitle: "가져오기 확인",
    fileName: (name) => `파일: ${name}`,
    summary: {
      lines_read: "읽은 줄",
      members_new_to_server: "새 고객",
      members_new_to_pool: "이 매장에 새로 등록될 고객",
      balance_imported: "가져올 잔액 합계",
      kept_member_numbers: "고객번호를 유지하는 줄",
    },
    readyToImport: "틀린 줄이 없습니다. 확정하면 위 내용대로 가져옵니다.",
    confirm: "가져오기 확정",
    cancel: "취소",
    wrongLines: (n) => `틀린 줄이 ${n}개 있어 아무것도 가져오지 않았습니다.`,
    errorLine: "줄",
    errorColumn: "열",
    errorReason: "내용",
    moreWrongLines: (n) => `그 밖에 틀린 줄 ${n}개`,
    problems: LINE_PROBLEMS_KO,
    fixAndRetry: "파일을 고친 뒤 다시 올려 주세요.",
    noFile: "올릴 파일을 골라 주세요.",
    unreadable: "파일을 읽을 수 없습니다. 아무것도 가져오지 않았습니다.",
    uploadGone: "확인한 파일이 없습니다(한 시간이 지났거나 다른 파일을 올렸습니다). 파일을 다시 올려 주세요. 아무것도 가져오지 않았습니다.",
    conflict: "그 사이 다른 변경이 있어 아무것도 가져오지 않았습니다. 파일을 다시 올려 확인해 주세요.",
    imported: (members, balance) => `고객 ${members}명, 잔액 합계 ${balance}을(를) 가져왔습니다.`,
    exportHeading: "내보내기",
    exportHelp: "엑셀에서 열 수 있는 CSV 파일(UTF-8)입니다. 고객 목록은 그대로 다시 가져올 수 있습니다.",
    exportMembers: "고객 목록 받기",
    exportHistory: "전체 내역 받기",
    historyRange: "기간을 정해 내역 받기",
    from: "시작일",
    to: "종료일",
    badRange: "기간을 확인해 주세요: 날짜는 YYYY-MM-DD, 시작일은 종료일보다 늦을 수 없습니다.",
  },
  en: {
    title: "Import / export",
    importHeading: "Import customers",
    importHelp:
      "Upload a customer list (CSV in UTF-8, or Excel's CP949), e.g. from Stampang. It is checked first; when no line is wrong, confirm to import it. Columns: phone, member_no, balance, joined, memo.",
    sizeLimit: (kb) => `Files up to ${kb} KB. For a larger file, ask your server's operator to run 'stampd import members'.`,
    file: "CSV file",
    check: "Check file",
    previewTitle: "Check the import",
    fileName: (name) => `File: ${name}`,
    summary: {
      lines_read: "Lines read",
      members_new_to_server: "New customers",
      members_new_to_pool: "Customers new to this store",
      balance_imported: "Total balance to import",
      kept_member_numbers: "Lines keeping their member number",
    },
    readyToImport: "No line is wrong. Confirm to import as shown above.",
    confirm: "Confirm import",
    cancel: "Cancel",
    wrongLines: (n) => `${n} wrong line(s): nothing was imported.`,
    errorLine: "Line",
    errorColumn: "Column",
    errorReason: "What is wrong",
    moreWrongLines: (n) => `and ${n} more wrong lines`,
    problems: LINE_PROBLEM_WORDS,
    fixAndRetry: "Fix the file, then upload it again.",
    noFile: "Please choose a file to upload.",
    unreadable: "The upload could not be read. Nothing was imported.",
    uploadGone: "The checked file is gone (after an hour, or another file was uploaded). Please upload it again. Nothing was imported.",
    conflict: "Another change happened meanwhile, so nothing was imported. Upload the file again to check it.",
    imported: (members, balance) => `Imported ${members} customer(s), total balance ${balance}.`,
    exportHeading: "Export",
    exportHelp: "CSV files (UTF-8) that Excel opens. The customer list imports again unchanged.",
    exportMembers: "Download customers",
    exportHistory: "Download all history",
    historyRange: "Download history of a period",
    from: "From",
    to: "To",
    badRange: "Please check the period: dates are YYYY-MM-DD, and the start is not after the end.",
  },
};
