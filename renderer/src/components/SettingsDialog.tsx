import { type FormEvent, useState } from 'react';
import type { DestinationHeader, Settings, UploadDestination } from '../../../electron/common/service';
import { useApp, useTransfers } from '../context';
import { Dialog, FormFooter } from './Dialog';

type DraftDestination = Omit<UploadDestination, 'id'> & { id: string | null; key: number };
let draftKey = 0;

const MIB = 1 << 20;

/** Settings: folders, limits, timeouts, and upload destinations (secrets never shown back). */
export function SettingsDialog({ onClose }: { onClose(): void }) {
  const { client } = useApp();
  const settings = useTransfers((s) => s.settings);
  const host = useTransfers((s) => s.host);
  if (!settings) return null;
  return <SettingsForm settings={settings} desktop={host?.kind === 'desktop'} secretStorage={host?.secretStorage ?? 'key-file'} onClose={onClose} save={(s) => client.setSettings(s)} />;
}

function SettingsForm({
  settings,
  desktop,
  secretStorage,
  onClose,
  save,
}: {
  settings: Settings;
  desktop: boolean;
  secretStorage: string;
  onClose(): void;
  save(changes: Parameters<ReturnType<typeof useApp>['client']['setSettings']>[0]): ReturnType<ReturnType<typeof useApp>['client']['setSettings']>;
}) {
  const [downloadDir, setDownloadDir] = useState(settings.downloadDir);
  const [maxActive, setMaxActive] = useState(String(settings.maxActive));
  const [maxPerHost, setMaxPerHost] = useState(String(settings.maxPerHost));
  const [maxConnections, setMaxConnections] = useState(String(settings.maxConnections));
  const [bandwidth, setBandwidth] = useState(settings.bandwidth === null ? '' : String(+(settings.bandwidth / MIB).toFixed(2)));
  const [stall, setStall] = useState(String(settings.stallTimeoutSeconds));
  const [autoResume, setAutoResume] = useState(settings.autoResume);
  const [tray, setTray] = useState(settings.keepRunningInTray);
  const [destinations, setDestinations] = useState<DraftDestination[]>(settings.uploadDestinations.map((d) => ({ ...d, key: ++draftKey })));
  const [error, setError] = useState<string | null>(null);

  const whole = (text: string, label: string): number => {
    if (!/^\d+$/.test(text.trim())) throw new Error(`${label} must be a whole number`);
    return Number(text);
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    let changes;
    try {
      const limit = bandwidth.trim() === '' ? 0 : Math.round(Number(bandwidth) * MIB);
      if (!Number.isFinite(limit) || limit < 0) throw new Error('The bandwidth limit must be a number of MiB/s, or empty for none');
      changes = {
        downloadDir: downloadDir.trim(),
        maxActive: whole(maxActive, 'Transfers at once'),
        maxPerHost: whole(maxPerHost, 'Connections per server'),
        maxConnections: whole(maxConnections, 'Connections per download'),
        bandwidth: limit,
        stallTimeoutSeconds: whole(stall, 'Stall timeout'),
        autoResume,
        keepRunningInTray: tray,
        uploadDestinations: destinations.map(({ key: _key, ...d }) => d),
      };
    } catch (problem) {
      return setError((problem as Error).message);
    }
    const result = await save(changes);
    if (result.ok) onClose();
    else setError(result.error.field ? `${result.error.message}` : result.error.message);
  };

  const update = (key: number, change: Partial<DraftDestination>): void => setDestinations((ds) => ds.map((d) => (d.key === key ? { ...d, ...change } : d)));
  const updateHeader = (key: number, index: number, change: Partial<DestinationHeader>): void =>
    setDestinations((ds) => ds.map((d) => (d.key === key ? { ...d, headers: d.headers.map((h, i) => (i === index ? { ...h, ...change } : h)) } : d)));

  return (
    <Dialog title="Settings" onClose={onClose} wide>
      <form onSubmit={(e) => void submit(e)} className="settings">
        <fieldset>
          <legend>Downloads</legend>
          <label htmlFor="s-dir">Download folder</label>
          <input id="s-dir" value={downloadDir} onChange={(e) => setDownloadDir(e.target.value)} spellCheck={false} />
        </fieldset>
        <fieldset className="grid2">
          <legend>Limits</legend>
          <label htmlFor="s-active">Transfers at once</label>
          <input id="s-active" inputMode="numeric" value={maxActive} onChange={(e) => setMaxActive(e.target.value)} />
          <label htmlFor="s-host">Connections per server</label>
          <input id="s-host" inputMode="numeric" value={maxPerHost} onChange={(e) => setMaxPerHost(e.target.value)} />
          <label htmlFor="s-conn">Connections per download</label>
          <input id="s-conn" inputMode="numeric" value={maxConnections} onChange={(e) => setMaxConnections(e.target.value)} />
          <label htmlFor="s-bw">Bandwidth limit (MiB/s, empty for none)</label>
          <input id="s-bw" inputMode="decimal" value={bandwidth} onChange={(e) => setBandwidth(e.target.value)} />
          <label htmlFor="s-stall">Stall timeout (seconds)</label>
          <input id="s-stall" inputMode="numeric" value={stall} onChange={(e) => setStall(e.target.value)} />
        </fieldset>
        <fieldset>
          <legend>Behaviour</legend>
          <label className="check">
            <input type="checkbox" checked={autoResume} onChange={(e) => setAutoResume(e.target.checked)} /> Continue unfinished transfers when Ferry starts
          </label>
          {desktop ? (
            <label className="check">
              <input type="checkbox" checked={tray} onChange={(e) => setTray(e.target.checked)} /> Keep running in the tray when the window closes
            </label>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Upload destinations</legend>
          <p className="hint">Secret header values are stored {secretStorage === 'os-keychain' ? "with the system's keychain" : 'encrypted with a key in the data folder'} and never shown again.</p>
          {destinations.map((d, i) => (
            <div className="destination" key={d.key} role="group" aria-label={`Destination ${i + 1}`}>
              <label htmlFor={`d-name-${d.key}`}>Name</label>
              <input id={`d-name-${d.key}`} value={d.name} onChange={(e) => update(d.key, { name: e.target.value })} />
              <label htmlFor={`d-url-${d.key}`}>URL</label>
              <input id={`d-url-${d.key}`} value={d.url} onChange={(e) => update(d.key, { url: e.target.value })} placeholder="https://tus.example.com/files/" spellCheck={false} />
              <label htmlFor={`d-proto-${d.key}`}>Protocol</label>
              <select id={`d-proto-${d.key}`} value={d.protocol} onChange={(e) => update(d.key, { protocol: e.target.value as 'tus' | 'put' })}>
                <option value="tus">tus (resumable)</option>
                <option value="put">HTTP PUT (not resumable)</option>
              </select>
              {d.headers.map((h, j) => (
                <div className="header-row" key={j}>
                  <input aria-label="Header name" value={h.name} onChange={(e) => updateHeader(d.key, j, { name: e.target.value })} placeholder="Authorization" />
                  <input
                    aria-label="Header value"
                    type={h.secret ? 'password' : 'text'}
                    value={h.value ?? ''}
                    placeholder={h.value === null && h.hint !== undefined ? `stored${h.hint ? ` (${h.hint})` : ''}; type to replace` : ''}
                    onChange={(e) => updateHeader(d.key, j, { value: e.target.value })}
                  />
                  <label className="check">
                    <input type="checkbox" checked={h.secret} onChange={(e) => updateHeader(d.key, j, { secret: e.target.checked })} /> Secret
                  </label>
                  <button type="button" onClick={() => update(d.key, { headers: d.headers.filter((_, k) => k !== j) })}>
                    Remove header
                  </button>
                </div>
              ))}
              <div className="destination-actions">
                <button type="button" onClick={() => update(d.key, { headers: [...d.headers, { name: '', value: '', secret: true }] })}>
                  Add header
                </button>
                <button type="button" onClick={() => setDestinations((ds) => ds.filter((x) => x.key !== d.key))}>
                  Remove destination
                </button>
              </div>
            </div>
          ))}
          <button type="button" onClick={() => setDestinations((ds) => [...ds, { id: null, key: ++draftKey, name: 'New destination', url: '', protocol: 'tus', headers: [] }])}>
            Add destination
          </button>
        </fieldset>
        <FormFooter error={error} submit="Save" onClose={onClose} />
      </form>
    </Dialog>
  );
}
