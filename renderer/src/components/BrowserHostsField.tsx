import { useEffect, useState } from 'react';
import type { BrowserHosts } from '../../../electron/common/service';
import { useApp } from '../context';

const NAMES: Record<string, string> = { chromium: 'Chromium', chrome: 'Google Chrome', edge: 'Microsoft Edge', brave: 'Brave', vivaldi: 'Vivaldi', firefox: 'Firefox' };

/**
 * Settings' part of browser capture: which browsers can hand their downloads to this Ferry,
 * and a button that registers (or removes) Ferry's native host with them. It acts at once,
 * apart from Save: the files it writes are not settings.
 */
export function BrowserHostsField() {
  const { client } = useApp();
  const [hosts, setHosts] = useState<BrowserHosts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    void client.browserHosts().then((r) => live && (r.ok ? setHosts(r.value) : setError(r.error.message)));
    return () => void (live = false);
  }, [client]);

  const change = async (install: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    const result = await client.setBrowserHosts({ install });
    setBusy(false);
    if (result.ok) setHosts(result.value);
    else setError(result.error.message);
  };

  const found = hosts?.browsers.filter((b) => b.found || b.installed) ?? [];
  const missing = found.some((b) => !b.installed);
  const any = found.some((b) => b.installed);
  return (
    <fieldset aria-describedby="browser-hosts-hint">
      <legend>Browser extension</legend>
      <p className="hint" id="browser-hosts-hint">
        Ferry&apos;s extension hands downloads you click in the browser to Ferry, with the page&apos;s session. Each browser reaches Ferry through a small helper it must know about.
      </p>
      {hosts?.unavailable ? <p className="hint">{hosts.unavailable}</p> : null}
      {hosts && !hosts.unavailable ? (
        found.length === 0 ? (
          <p className="hint">No browser found in this account (Ferry looks for Chromium, Chrome, Edge, Brave, Vivaldi and Firefox).</p>
        ) : (
          <ul className="browser-hosts" aria-label="Browsers">
            {found.map((b) => (
              <li key={b.browser}>
                {NAMES[b.browser] ?? b.browser}: {b.installed ? 'reaches Ferry' : 'not set up'}
              </li>
            ))}
          </ul>
        )
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {hosts && !hosts.unavailable ? (
        <div className="row-buttons">
          {missing || found.length === 0 ? (
            <button type="button" disabled={busy} onClick={() => void change(true)}>
              Set up browsers
            </button>
          ) : null}
          {any ? (
            <button type="button" disabled={busy} onClick={() => void change(false)}>
              Remove from browsers
            </button>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}
