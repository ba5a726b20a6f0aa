// The console's one style sheet, kept in the code so that the built server (dist/) carries it
// without a copy step; served at /console/assets/console.css. Mobile first (one column at 360 px,
// wider screens get room), large touch targets, visible keyboard focus, system fonts only.
export const CONSOLE_CSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR","Malgun Gothic",sans-serif;color:#1f2328;background:#f6f8fa}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;background:#2f4858;color:#fff}
.top .brand{font-weight:700;margin-right:auto}
.top button.link{color:#fff}
nav ul{list-style:none;margin:0;padding:0 .5rem;display:flex;flex-wrap:wrap;gap:.25rem;background:#fff;border-bottom:1px solid #d0d7de}
nav a{display:block;padding:.75rem .75rem;color:#1f2328;text-decoration:none;min-height:3rem}
nav a[aria-current=page]{font-weight:700;box-shadow:inset 0 -3px 0 #d9472b}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{margin:.5rem 0 1rem;font-size:1.5rem;line-height:1.3}
h2{margin:1.5rem 0 .5rem;font-size:1.125rem}
.message{margin:0 0 1rem;padding:.75rem 1rem;border-radius:.5rem;background:#e9f7ef}
.message.error{background:#ffebe9;color:#a40e26}
.message:empty{display:none}
.panel{background:#fff;border:1px solid #d0d7de;border-radius:.75rem;padding:1rem;margin:0 0 1rem}
form.inline{display:inline;margin:0}
label{display:block;margin:0 0 .25rem;font-weight:600}
input,select{display:block;width:100%;min-height:3rem;margin:0 0 1rem;padding:.5rem .75rem;border:2px solid #8c959f;border-radius:.5rem;font:inherit;background:#fff}
input[type=hidden]{display:none}
button,.button{display:inline-block;min-height:3rem;padding:.75rem 1.25rem;border:0;border-radius:.5rem;background:#d9472b;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#2f4858}
button.link{min-height:2.75rem;padding:.5rem;background:none;color:inherit;font-weight:400;text-decoration:underline}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0969da;outline-offset:2px}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{padding:.5rem;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
td.number,th.number{text-align:right;font-variant-numeric:tabular-nums}
.table-scroll{overflow-x:auto}
.secret{font:1.25rem/1.4 ui-monospace,monospace;word-break:break-all;background:#fff4e5;padding:.75rem;border-radius:.5rem}
.login{max-width:24rem;margin:2rem auto}
.help{margin:-.75rem 0 1rem;font-size:.875rem;color:#57606a}
.field-error{margin:-.75rem 0 1rem;font-size:.875rem;color:#a40e26}
input[aria-invalid=true]{border-color:#a40e26}
details>summary{cursor:pointer;font-weight:600;min-height:2.75rem;padding:.5rem 0}
.notice{padding:.75rem 1rem;border-radius:.5rem;background:#fff4e5}
.rows{list-style:none;margin:0 0 1rem;padding:0}
.row{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;background:#fff;border:1px solid #d0d7de;border-radius:.75rem;padding:.75rem 1rem;margin:0 0 .5rem}
.row-title{font-weight:700;margin:0}
.tags{display:flex;flex-wrap:wrap;gap:.25rem}
.tag{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#eaeef2;font-size:.875rem}
.tag.off,.tag.state-inactive,.tag.state-expired{background:#ffebe9}
.tag.state-full{background:#dafbe1}
.row.stamp{align-items:flex-start}
.row.stamp p{margin:0 0 .25rem}
.qr{flex:none;width:9rem}
.qr img{display:block;width:100%;height:auto;background:#fff}
.stamp-body{flex:1 1 12rem;min-width:0}
.dots{letter-spacing:.1em;color:#d9472b}
.url{font:.75rem/1.4 ui-monospace,monospace;word-break:break-all;color:#57606a}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem}
.search{margin:0 0 1rem}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.5rem;margin:0 0 1rem}
.figures div{background:#f6f8fa;border-radius:.5rem;padding:.5rem .75rem}
.figures dt{font-size:.875rem;color:#57606a}
.figures dd{margin:0;font-size:1.5rem;font-weight:700;font-variant-numeric:tabular-nums}
@media (min-width:48rem){main{padding:1.5rem 2rem}}
`;
