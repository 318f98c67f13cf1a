import { type ReactNode, useEffect, useRef } from 'react';

/** A modal dialog (the native <dialog>: focus trapped, Escape closes, named by its title; focus starts on [data-autofocus]). */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose(): void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) {
      // Where <dialog> has no modal mode (jsdom), it is at least shown.
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
      // Opening a modal dialog focuses its first control (the Close button); a field marked
      // data-autofocus is where typing starts instead. (React's autoFocus fires while the
      // dialog is still closed, so it cannot do this.)
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    return () => {
      if (typeof dialog?.close === 'function') dialog.close();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' wide' : ''}`}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header>
        <h2>{title}</h2>
        <button type="button" className="close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {children}
    </dialog>
  );
}

/** The end of a dialog's form: what went wrong (if anything), Close, and the action. */
export function FormFooter({ error, submit, busy, onClose }: { error: string | null; submit: string; busy?: boolean; onClose(): void }) {
  return (
    <>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <footer>
        <button type="button" onClick={onClose}>
          Close
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {submit}
        </button>
      </footer>
    </>
  );
}
