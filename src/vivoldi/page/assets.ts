// The stamp page's style sheet and the default stamp image, kept in the code so that the built
// server (dist/) carries them without a copy step. Served under /static/ (src/vivoldi/page/routes.tsx).

/** The default `stampImgUrl`: a red rubber stamp with a star. */
export const STAMP_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="stamp">
<circle cx="32" cy="32" r="30" fill="#d9472b"/>
<circle cx="32" cy="32" r="25" fill="none" stroke="#fff" stroke-width="2" stroke-dasharray="3 2.5"/>
<path d="M32 18L35.7 27.9L46.3 28.4L38 34.9L40.8 45.1L32 39.3L23.2 45.1L26 34.9L17.7 28.4L28.3 27.9Z" fill="#fff"/>
</svg>
`;

/** Mobile first: one column up to 28rem wide, large touch targets, visible keyboard focus. */
export const PAGE_CSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR","Malgun Gothic",sans-serif;color:#1f2328;background:#f4f1ec}
main{max-width:28rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:1rem;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow:hidden}
.card>header{background:#2f4858;color:#fff;padding:1.25rem 1.25rem 1rem}
.card>header p{margin:0;font-size:.875rem;opacity:.85}
h1{margin:.25rem 0 0;font-size:1.375rem;line-height:1.3}
h2{margin:0 0 .5rem;font-size:1rem}
.body{padding:1.25rem}
.count{margin:0 0 .75rem;font-size:1.75rem;font-weight:700}
.count small{font-size:1rem;font-weight:400;color:#57606a}
.slots{list-style:none;margin:0 0 1rem;padding:0;display:grid;grid-template-columns:repeat(5,1fr);gap:.5rem}
.slots li{aspect-ratio:1;border-radius:50%;display:flex;align-items:center;justify-content:center}
.slots .empty{border:2px dashed #c4c9cf;color:#8c959f;font-size:.8125rem}
.slots img{width:100%;height:100%;object-fit:contain}
.dates{margin:0 0 1rem;color:#57606a}
.state{margin:0 0 1rem;padding:.75rem 1rem;border-radius:.5rem;background:#fff4e5;border-left:4px solid #d97706}
.state.good{background:#e9f7ef;border-color:#1a7f37}
.message{margin:0 0 1rem;padding:.75rem 1rem;border-radius:.5rem;background:#e9f7ef}
.message.error{background:#ffebe9;color:#a40e26}
.message:empty{display:none}
.button,button{display:block;width:100%;min-height:3rem;padding:.75rem 1rem;border:0;border-radius:.5rem;background:#d9472b;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
.button.secondary{background:#2f4858}
label{display:block;margin:0 0 .25rem;font-weight:600}
input{display:block;width:100%;min-height:3rem;margin:0 0 1rem;padding:.5rem .75rem;border:2px solid #8c959f;border-radius:.5rem;font:inherit;font-size:1.25rem;letter-spacing:.2em}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.staff{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #d0d7de}
.staff input{letter-spacing:normal}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
