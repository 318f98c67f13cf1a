import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import type { DestinationHeader, Settings } from '../../../electron/common/service';
import { formatRateWindow, formatWindow } from '../../../electron/common/time-windows';
import { useApp, useTransfers } from '../context';
import { BrowserHostsField } from './BrowserHostsField';
import { Dialog, FormFooter } from './Dialog';
import { type DraftDestination, FIELD_IDS, type Problems, type SettingsChanges, type SettingsDraft, checkSettings, destinationIds, headerIds, inputForField } from './settings-check';

let draftKey = 0;
const MIB = 1 << 20;
const LIMITS = [
  ['maxActive', 'Transfers at once', 'numeric'],
  ['maxPerHost', 'Connections per server', 'numeric'],
  ['maxConnections', 'Connections per download', 'numeric'],
  ['bandwidth', 'Bandwidth limit (MiB/s, empty for none)', 'decimal'],
  ['stallTimeoutSeconds', 'Stall timeout (seconds)', 'numeric'],
] as const;
const newDestination = (): DraftDestination => ({ id: null, key: ++draftKey, name: '', url: '', protocol: 'tus', headers: [] });

/**
 * Settings: folders, limits, timeouts, and upload destinations (secrets never shown back).
 * `addDestination` opens it on a new destination's form, for whoever came to add one.
 */
export function SettingsDialog({ onClose, onSaved = onClose, addDestination = false }: { onClose(): void; onSaved?(): void; addDestination?: boolean }) {
  const { client } = useApp();
  const settings = useTransfers((s) => s.settings);
  const host = useTransfers((s) => s.host);
  if (!settings) return null;
  return (
    <SettingsForm
      settings={settings}
      addDestination={addDestination}
      desktop={host?.kind === 'desktop'}
      secretStorage={host?.secretStorage ?? 'key-file'}
      onClose={onClose}
      onSaved={onSaved}
      save={(s) => client.setSettings(s)}
    />
  );
}

function draftOf(settings: Settings, addDestination: boolean): SettingsDraft {
  const destinations = settings.uploadDestinations.map((d) => ({ ...d, key: ++draftKey }));
  return {
    downloadDir: settings.downloadDir,
    maxActive: String(settings.maxActive),
    maxPerHost: String(settings.maxPerHost),
    maxConnections: String(settings.maxConnections),
    bandwidth: settings.bandwidth === null ? '' : String(+(settings.bandwidth / MIB).toFixed(2)),
    stallTimeoutSeconds: String(settings.stallTimeoutSeconds),
    autoResume: settings.autoResume,
    keepRunningInTray: settings.keepRunningInTray,
    activeHours: settings.activeHours.map(formatWindow).join(', '),
    bandwidthSchedule: settings.bandwidthSchedule.map(formatRateWindow).join(', '),
    sidecarLookup: settings.sidecarLookup,
    destinations: addDestination ? [...destinations, newDestination()] : destinations,
  };
}

/** How many fields are marked, said once at the foot of the form (each message stands beside its field). */
function summary(count: number): string {
  return count === 1 ? 'One field needs a change: see the message beside it.' : `${count} fields need a change: see the message beside each.`;
}

function SettingsForm({
  settings,
  addDestination,
  desktop,
  secretStorage,
  onClose,
  onSaved,
  save,
}: {
  settings: Settings;
  addDestination: boolean;
  desktop: boolean;
  secretStorage: string;
  onClose(): void;
  onSaved(): void;
  save(changes: SettingsChanges): ReturnType<ReturnType<typeof useApp>['client']['setSettings']>;
}) {
  const [draft, setDraft] = useState(() => draftOf(settings, addDestination));
  // Fields are checked from the first Save on, then as they are typed, so a fixed one loses its mark at once.
  const [attempted, setAttempted] = useState(false);
  // What the engine refused (a folder it cannot write, say), beside the field it names.
  const [refusal, setRefusal] = useState<{ input: string | null; message: string } | null>(null);
  const [focus, setFocus] = useState<{ id: string } | { firstInvalid: true } | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const problems: Problems = { ...(attempted ? (checkSettings(draft).problems ?? {}) : {}), ...(refusal?.input ? { [refusal.input]: refusal.message } : {}) };
  const count = Object.keys(problems).length;

  useEffect(() => {
    if (!focus) return;
    const target = 'id' in focus ? document.getElementById(focus.id) : form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    target?.focus();
    setFocus(null);
  }, [focus]);

  const edit = (change: (d: SettingsDraft) => Partial<SettingsDraft>): void => {
    setRefusal(null);
    setDraft((d) => ({ ...d, ...change(d) }));
  };
  const text = (key: keyof typeof FIELD_IDS) => ({
    id: FIELD_IDS[key],
    value: draft[key],
    onChange: (e: { target: { value: string } }) => edit(() => ({ [key]: e.target.value })),
    ...marks(problems, FIELD_IDS[key]),
  });
  const update = (key: number, change: Partial<DraftDestination>): void => edit((d) => ({ destinations: d.destinations.map((x) => (x.key === key ? { ...x, ...change } : x)) }));
  const updateHeader = (key: number, index: number, change: Partial<DestinationHeader>): void =>
    edit((d) => ({ destinations: d.destinations.map((x) => (x.key === key ? { ...x, headers: x.headers.map((h, i) => (i === index ? { ...h, ...change } : h)) } : x)) }));

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setAttempted(true);
    setRefusal(null);
    const checked = checkSettings(draft);
    if (!checked.changes) return setFocus({ firstInvalid: true });
    setBusy(true);
    const result = await save(checked.changes);
    setBusy(false);
    if (result.ok) return onSaved();
    const input = inputForField(result.error.field, draft.destinations);
    setRefusal({ input, message: result.error.message });
    if (input) setFocus({ id: input });
  };

  return (
    <Dialog title="Settings" onClose={onClose} wide>
      <form ref={form} onSubmit={(e) => void submit(e)} className="settings" noValidate>
        <fieldset>
          <legend>Downloads</legend>
          <label htmlFor={FIELD_IDS.downloadDir}>Download folder</label>
          <input {...text('downloadDir')} spellCheck={false} />
          <Problem of={FIELD_IDS.downloadDir} problems={problems} />
        </fieldset>
        <fieldset className="grid2">
          <legend>Limits</legend>
          {LIMITS.map(([key, label, inputMode]) => (
            <Labelled key={key} id={FIELD_IDS[key]} label={label} problems={problems}>
              <input {...text(key)} inputMode={inputMode} />
            </Labelled>
          ))}
        </fieldset>
        <fieldset>
          <legend>Time windows</legend>
          <p className="hint">Times as HH:MM-HH:MM, days before an @ (mon-fri@22:00-07:00, sat+sun@00:00-24:00), several separated by commas. Outside the active hours transfers wait with their bytes saved.</p>
          <Labelled id={FIELD_IDS.activeHours} label="Active hours (empty: always)" problems={problems}>
            <input {...text('activeHours')} spellCheck={false} placeholder="22:00-07:00" />
          </Labelled>
          <Labelled id={FIELD_IDS.bandwidthSchedule} label="Bandwidth schedule (the limit above applies outside it)" problems={problems}>
            <input {...text('bandwidthSchedule')} spellCheck={false} placeholder="09:00-18:00=1M" />
          </Labelled>
        </fieldset>
        <fieldset>
          <legend>Behaviour</legend>
          <label className="check">
            <input type="checkbox" checked={draft.autoResume} onChange={(e) => edit(() => ({ autoResume: e.target.checked }))} /> Continue unfinished transfers when Ferry starts
          </label>
          {desktop ? (
            <label className="check">
              <input type="checkbox" checked={draft.keepRunningInTray} onChange={(e) => edit(() => ({ keepRunningInTray: e.target.checked }))} /> Keep running in the tray when the window closes
            </label>
          ) : null}
          <label className="check">
            <input type="checkbox" checked={draft.sidecarLookup !== false} onChange={(e) => edit(() => ({ sidecarLookup: e.target.checked }))} /> Look for a checksum file (SHA256SUMS,
            file.sha256) beside downloads of 1 MiB or more, on their own site
          </label>
        </fieldset>
        <BrowserHostsField />
        <fieldset>
          <legend>Upload destinations</legend>
          <p className="hint">Secret header values are stored {secretStorage === 'os-keychain' ? "with the system's keychain" : 'encrypted with a key in the data folder'} and never shown again.</p>
          {draft.destinations.map((d, i) => (
            <DestinationForm
              key={d.key}
              d={d}
              number={i + 1}
              problems={problems}
              first={addDestination && i === draft.destinations.length - 1}
              update={(change) => update(d.key, change)}
              updateHeader={(j, change) => updateHeader(d.key, j, change)}
              remove={() => edit((all) => ({ destinations: all.destinations.filter((x) => x.key !== d.key) }))}
              onHeaderAdded={(j) => setFocus({ id: headerIds(d.key, j).name })}
            />
          ))}
          <button
            type="button"
            onClick={() => {
              const added = newDestination();
              edit((all) => ({ destinations: [...all.destinations, added] }));
              setFocus({ id: destinationIds(added.key).name });
            }}
          >
            Add destination
          </button>
        </fieldset>
        <FormFooter error={refusal && !refusal.input ? refusal.message : count > 0 ? summary(count) : null} submit="Save" busy={busy} onClose={onClose} />
      </form>
    </Dialog>
  );
}

/** The marks an input carries while it has a problem: invalid, and described by the message beside it. */
function marks(problems: Problems, id: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return problems[id] ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {};
}

/** What is wrong with one field, said beside it. */
function Problem({ of, problems }: { of: string; problems: Problems }) {
  return problems[of] ? (
    <span id={`${of}-error`} className="field-error">
      {problems[of]}
    </span>
  ) : null;
}

/** A label, its input, and its problem if it has one: one row of the Limits grid. */
function Labelled({ id, label, problems, children }: { id: string; label: string; problems: Problems; children: ReactNode }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      {children}
      <Problem of={id} problems={problems} />
    </>
  );
}

function DestinationForm({
  d,
  number,
  problems,
  first,
  update,
  updateHeader,
  remove,
  onHeaderAdded,
}: {
  d: DraftDestination;
  number: number;
  problems: Problems;
  /** The one the dialog opened to add: its first field takes the focus. */
  first: boolean;
  update(change: Partial<DraftDestination>): void;
  updateHeader(index: number, change: Partial<DestinationHeader>): void;
  remove(): void;
  onHeaderAdded(index: number): void;
}) {
  const ids = destinationIds(d.key);
  return (
    <div className="destination" role="group" aria-label={`Destination ${number}`}>
      <label htmlFor={ids.name}>Name</label>
      <input id={ids.name} value={d.name} onChange={(e) => update({ name: e.target.value })} placeholder="Home server" data-autofocus={first || undefined} {...marks(problems, ids.name)} />
      <Problem of={ids.name} problems={problems} />
      <label htmlFor={ids.url}>URL</label>
      <input id={ids.url} value={d.url} onChange={(e) => update({ url: e.target.value })} placeholder="https://tus.example.com/files/" spellCheck={false} {...marks(problems, ids.url)} />
      <Problem of={ids.url} problems={problems} />
      <label htmlFor={ids.protocol}>Protocol</label>
      <select id={ids.protocol} value={d.protocol} onChange={(e) => update({ protocol: e.target.value as 'tus' | 'put' })}>
        <option value="tus">tus (resumable)</option>
        <option value="put">HTTP PUT (not resumable)</option>
      </select>
      {d.headers.map((h, j) => {
        const hid = headerIds(d.key, j);
        return (
          <div className="header-row" key={j}>
            <input id={hid.name} aria-label="Header name" value={h.name} onChange={(e) => updateHeader(j, { name: e.target.value })} placeholder="Authorization" {...marks(problems, hid.name)} />
            <input
              id={hid.value}
              aria-label="Header value"
              type={h.secret ? 'password' : 'text'}
              value={h.value ?? ''}
              placeholder={h.value === null && h.hint !== undefined ? `stored${h.hint ? ` (${h.hint})` : ''}; type to replace` : ''}
              onChange={(e) => updateHeader(j, { value: e.target.value })}
              {...marks(problems, hid.value)}
            />
            <label className="check">
              <input type="checkbox" checked={h.secret} onChange={(e) => updateHeader(j, { secret: e.target.checked })} /> Secret
            </label>
            <button type="button" onClick={() => update({ headers: d.headers.filter((_, k) => k !== j) })}>
              Remove header
            </button>
            <Problem of={hid.name} problems={problems} />
            <Problem of={hid.value} problems={problems} />
          </div>
        );
      })}
      <div className="destination-actions">
        <button
          type="button"
          onClick={() => {
            update({ headers: [...d.headers, { name: '', value: '', secret: true }] });
            onHeaderAdded(d.headers.length);
          }}
        >
          Add header
        </button>
        <button type="button" onClick={remove}>
          Remove destination
        </button>
      </div>
    </div>
  );
}
