// Small shared pieces: names instead of ids, state badges, the confirmation dialog,
// error text (always the API's sentence for people, never a bare code).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ApiError, cachedName, resolveNames } from './api/client';
import { t } from './i18n';
import { flash } from './state';

export function Name({ of }: { of?: string }) {
  const [, setTick] = useState(0);
  const known = cachedName(of);
  useEffect(() => {
    if (of && !known) resolveNames([of]).then(() => setTick((x) => x + 1));
  }, [of, known]);
  return <span>{known ?? '…'}</span>;
}

export function StateBadge({ state }: { state?: string }) {
  const s = state ?? 'DOCUMENT_STATE_UNSPECIFIED';
  return <span class={`badge state-${s.toLowerCase()}`}>{t(`state.${s}`)}</span>;
}

export function LateBadge({ late }: { late?: boolean }) {
  return late ? <span class="badge late">{t('late')}</span> : null;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function showError(e: unknown) {
  flash.value = { text: errorText(e), error: true };
}

export function showOk(text: string) {
  flash.value = { text };
}

export function Flash() {
  const f = flash.value;
  useEffect(() => {
    if (f && !f.error) {
      const id = setTimeout(() => (flash.value = null), 6000);
      return () => clearTimeout(id);
    }
  }, [f]);
  if (!f) return <div class="flash-slot" role="status" aria-live="polite" />;
  return (
    <div class="flash-slot" role={f.error ? 'alert' : 'status'} aria-live={f.error ? 'assertive' : 'polite'}>
      <div class={f.error ? 'flash error' : 'flash ok'} data-testid="flash">
        <span>{f.text}</span>
        <button type="button" class="link" onClick={() => (flash.value = null)} aria-label={t('close')}>
          ×
        </button>
      </div>
    </div>
  );
}

/** A modal confirmation: one click opens it, one click confirms. */
export function Confirm(props: {
  title: string;
  children?: ComponentChildren;
  confirmLabel?: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ok = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    ok.current?.focus();
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && props.onCancel();
    window.addEventListener('keydown', esc);
    return () => window.removeEventListener('keydown', esc);
  }, []);
  return (
    <div class="backdrop">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            {t('cancel')}
          </button>
          <button type="button" class="primary" ref={ok} disabled={props.busy} onClick={props.onConfirm}>
            {props.confirmLabel ?? t('confirm')}
          </button>
        </div>
      </div>
    </div>
  );
}

export function Loading() {
  return <p class="muted">{t('loading')}</p>;
}
