// The `stampd` command (bin/stampd.js runs its compiled form; `npm start` and `npm run stampd` run
// it with tsx). The exit code is set, not forced, so that `serve` keeps running.
import { main } from "./program.js";

process.exitCode = await main(process.argv);
