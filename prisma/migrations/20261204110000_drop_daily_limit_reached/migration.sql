-- The OPEN API's changes are functions that count their call last and write nothing when the
-- counter refuses it (20261204100000_open_api_ledger_functions): no statement has to be failed
-- after its work any more.
DROP FUNCTION "daily_limit_reached"();
