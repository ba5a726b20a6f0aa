// The settings page's sections, each with its own forms: stamp API keys, the webhook and its
// recent deliveries, the store's console users, the daily limit, today's calls and the store's
// time zone (read-only: the operator sets it).
import type { ApiKeyView } from "../../vivoldi/api-keys.js";
import type { DeliveryView, WebhookView } from "../../webhooks/service.js";
import { formatDateTime, formatNumber } from "../format.js";
import { CsrfField } from "../../platform/page.js";
import { CONSOLE_PATH, type PageContext } from "../page.js";
import type { ConsoleUserView } from "../users/service.js";
import type { SettingsWords } from "./words.js";

export const SETTINGS_PATH = `${CONSOLE_PATH}/settings`;

interface SectionProps {
  ctx: PageContext;
  w: SettingsWords;
  /** The store's time zone: its own, else the server's TIME_ZONE. */
  timeZone: string;
}

const when = (p: SectionProps, at: Date | string) => formatDateTime(p.ctx.lang, p.timeZone, new Date(at));

/** A POST form of one button (and maybe hidden fields) on a table's row. */
function RowButton(p: { ctx: PageContext; action: string; fields: Record<string, string>; label: string; name: string; testId: string }) {
  return (
    <form method="post" action={p.action} class="inline">
      <CsrfField csrf={p.ctx.csrf} />
      {Object.entries(p.fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class="secondary" data-testid={p.testId} aria-label={`${p.label} ${p.name}`}>
        {p.label}
      </button>
    </form>
  );
}

/** A secret made by the POST this page answers, shown here once. */
export function SecretShown({ w, intro, secret, testId }: { w: SettingsWords; intro: string; secret: string; testId: string }) {
  return (
    <section class="panel">
      <p>{intro}</p>
      <p class="secret" data-testid={testId}>
        {secret}
      </p>
      <p>{w.shownOnce}</p>
      <p>
        <a class="button secondary" href={SETTINGS_PATH}>
          {w.backToSettings}
        </a>
      </p>
    </section>
  );
}

export function KeysSection(p: SectionProps & { keys: ApiKeyView[] }) {
  const { ctx, w } = p;
  return (
    <section class="panel" aria-labelledby="keys-heading">
      <h2 id="keys-heading">{w.keysHeading}</h2>
      <p>{w.keysHelp}</p>
      {p.keys.length === 0 ? (
        <p>{w.noKeys}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th>{w.keyPrefix}</th>
                <th>{w.keyLabel}</th>
                <th>{w.created}</th>
                <th>{w.keyState}</th>
              </tr>
            </thead>
            <tbody>
              {p.keys.map((k) => (
                <tr key={k.id} data-testid="apikey-row">
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.label}</td>
                  <td>{when(p, k.created_at)}</td>
                  <td>
                    {k.revoked_at ? (
                      w.keyRevokedAt(when(p, k.revoked_at))
                    ) : (
                      <RowButton
                        ctx={ctx}
                        action={`${SETTINGS_PATH}/api-keys/revoke`}
                        fields={{ id: String(k.id) }}
                        label={w.revoke}
                        name={k.prefix}
                        testId="apikey-revoke"
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action={`${SETTINGS_PATH}/api-keys`}>
        <CsrfField csrf={ctx.csrf} />
        <label for="apikey-label">{w.keyLabel}</label>
        <input id="apikey-label" name="label" maxLength={100} autocomplete="off" data-testid="apikey-label" />
        <button type="submit" data-testid="apikey-create">
          {w.createKey}
        </button>
      </form>
    </section>
  );
}

export function WebhookSection(p: SectionProps & { hook: WebhookView; deliveries: DeliveryView[] }) {
  const { ctx, w, hook } = p;
  return (
    <section class="panel" aria-labelledby="webhook-heading">
      <h2 id="webhook-heading">{w.webhookHeading}</h2>
      {hook.url ? (
        <p>
          <code data-testid="webhook-current">{hook.url}</code>{" "}
          <RowButton
            ctx={ctx}
            action={`${SETTINGS_PATH}/webhook/clear`}
            fields={{}}
            label={w.webhookClear}
            name=""
            testId="webhook-clear"
          />
        </p>
      ) : (
        <p data-testid="webhook-current">{w.webhookNone}</p>
      )}
      <form method="post" action={`${SETTINGS_PATH}/webhook`}>
        <CsrfField csrf={ctx.csrf} />
        <label for="webhook-url">{w.webhookUrl}</label>
        <input id="webhook-url" name="url" type="url" required maxLength={2000} value={hook.url ?? ""} data-testid="webhook-url" />
        <button type="submit" data-testid="webhook-set">
          {w.webhookSet}
        </button>
      </form>
      <h3>{w.deliveriesHeading}</h3>
      {p.deliveries.length === 0 ? (
        <p>{w.noDeliveries}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th>{w.created}</th>
                <th>{w.event}</th>
                <th>{w.status}</th>
                <th class="number">{w.attempts}</th>
                <th>{w.lastAnswer}</th>
              </tr>
            </thead>
            <tbody>
              {p.deliveries.map((d) => (
                <tr key={d.event_id} data-testid="webhook-delivery">
                  <td>{when(p, d.created_at)}</td>
                  <td>
                    {d.resource_type} {d.action}
                  </td>
                  <td>{w.eventStatus[d.status as keyof SettingsWords["eventStatus"]] ?? d.status}</td>
                  <td class="number">{d.attempts}</td>
                  <td>{d.last_status_code ?? d.last_error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function UsersSection(p: SectionProps & { users: ConsoleUserView[] }) {
  const { ctx, w } = p;
  return (
    <section class="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">{w.usersHeading}</h2>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th>{w.login}</th>
              <th>{w.role}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {p.users.map((u) => (
              <tr key={u.id} data-testid="user-row">
                <td>
                  {u.login}
                  {u.locked_until && <small> ({w.lockedUntil(when(p, u.locked_until))})</small>}
                </td>
                <td>{w.roles[u.role]}</td>
                <td>
                  {u.role === "staff" && (
                    <RowButton
                      ctx={ctx}
                      action={`${SETTINGS_PATH}/users/remove`}
                      fields={{ login: u.login }}
                      label={w.remove}
                      name={u.login}
                      testId="user-remove"
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form method="post" action={`${SETTINGS_PATH}/users`}>
        <CsrfField csrf={ctx.csrf} />
        <label for="user-login">{w.addStaff}</label>
        <input
          id="user-login"
          name="login"
          autocomplete="off"
          autocapitalize="none"
          aria-describedby="user-login-help"
          required
          data-testid="user-login"
        />
        <p id="user-login-help">
          <small>{w.addStaffHelp}</small>
        </p>
        <button type="submit" data-testid="user-add">
          {w.addStaff}
        </button>
      </form>
    </section>
  );
}

export function LimitSection(p: SectionProps & { dailyLimit: number; callsToday: number }) {
  const { ctx, w } = p;
  return (
    <section class="panel" aria-labelledby="limit-heading">
      <h2 id="limit-heading">{w.limitHeading}</h2>
      <dl>
        <dt>{w.dailyLimit}</dt>
        <dd data-testid="daily-limit">{formatNumber(ctx.lang, p.dailyLimit)}</dd>
        <dt>{w.callsToday}</dt>
        <dd data-testid="calls-today">{formatNumber(ctx.lang, p.callsToday)}</dd>
        <dt>{w.timeZone}</dt>
        <dd data-testid="time-zone">{p.timeZone}</dd>
      </dl>
      <p>
        <small>{w.limitHelp}</small>
      </p>
    </section>
  );
}
