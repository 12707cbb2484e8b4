// The notifications bell: the latest notifications, and live ones from the watch stream
// (GET /v1/notifications:watch as Server-Sent Events, authenticated by the session cookie).
import { useEffect, useState } from 'preact/hooks';
import { api, call, type Notification } from '../api/client';
import { formatDateTime, t } from '../i18n';
import { me, navigate } from '../state';
import { showError } from '../ui';

export function Bell() {
  const [items, setItems] = useState<Notification[]>([]);
  const [open, setOpen] = useState(false);
  const [live, setLive] = useState('');
  useEffect(() => {
    // One stream per tab at any time: a browser allows 6 connections per host, so a
    // leaked EventSource per error would soon starve every API call of the page.
    let closed = false;
    let source: EventSource | null = null;
    let timer: number | undefined;
    let backoff = 1000;
    call(() => api.GET('/v1/notifications', { params: { query: { pageSize: 20 } } }))
      .then((r) => !closed && setItems(r.notifications ?? []))
      .catch(() => {});
    const connect = () => {
      if (closed) return;
      const es = new EventSource('/v1/notifications:watch');
      source = es;
      es.onopen = () => (backoff = 1000);
      es.onmessage = (e) => {
        const n = JSON.parse(e.data) as Notification;
        setItems((old) => (old.some((o) => o.name === n.name) ? old : [n, ...old].slice(0, 50)));
        setLive(n.title ?? '');
      };
      es.onerror = () => {
        // A dropped stream or an expired access cookie (15 min): close it, make one cheap
        // call through call() (which refreshes only on a 401, one tab at a time), then
        // open a new stream, backing off up to 30 s while it keeps failing.
        es.close();
        if (closed || source !== es || timer !== undefined) return;
        timer = window.setTimeout(() => {
          call(() => api.GET('/v1/notifications', { params: { query: { pageSize: 1 } } }))
            .catch(() => {})
            .finally(() => {
              timer = undefined;
              connect();
            });
        }, backoff);
        backoff = Math.min(backoff * 2, 30000);
      };
    };
    // Leaving the page (even into the back/forward cache) must close the stream, or the
    // cached page keeps holding one of the host's connections.
    const hide = () => {
      source?.close();
      source = null;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const show = (e: PageTransitionEvent) => {
      if (e.persisted && !source) connect();
    };
    window.addEventListener('pagehide', hide);
    window.addEventListener('pageshow', show);
    connect();
    return () => {
      closed = true;
      hide();
      window.removeEventListener('pagehide', hide);
      window.removeEventListener('pageshow', show);
    };
  }, [me.value?.name]);
  const unread = items.filter((n) => !n.read).length;
  const markRead = async () => {
    const names = items.filter((n) => !n.read).map((n) => n.name!);
    if (!names.length) return;
    try {
      await call(() => api.POST('/v1/notifications:markRead', { body: { notifications: names } }));
      setItems((old) => old.map((n) => ({ ...n, read: true })));
    } catch (e) {
      showError(e);
    }
  };
  return (
    <div class="bell">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="bell-panel"
        data-testid="bell"
        onClick={() => setOpen(!open)}
        aria-label={`${t('notifications')}: ${unread}`}
      >
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="currentColor">
          <path d="M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z" />
        </svg>
        {unread > 0 && (
          <span class="count" data-testid="bell-count">
            {unread}
          </span>
        )}
      </button>
      <span class="visually-hidden" role="status" aria-live="polite">
        {live}
      </span>
      {open && (
        <div id="bell-panel" class="panel" data-testid="bell-panel">
          <div class="panel-head">
            <strong>{t('notifications')}</strong>
            <button type="button" class="link" onClick={markRead}>
              {t('markAllRead')}
            </button>
          </div>
          {items.length === 0 && <p class="muted">{t('noNotifications')}</p>}
          <ul>
            {items.map((n) => (
              <li class={n.read ? '' : 'unread'} key={n.name}>
                <a
                  href={n.subject?.startsWith('documents/') ? `/${n.subject}` : '#'}
                  onClick={(e) => {
                    e.preventDefault();
                    if (n.subject?.startsWith('documents/')) {
                      setOpen(false);
                      navigate(`/${n.subject}`);
                    }
                  }}
                >
                  <strong>{n.title}</strong>
                  <span>{n.body}</span>
                  <small>{formatDateTime(n.created)}</small>
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
