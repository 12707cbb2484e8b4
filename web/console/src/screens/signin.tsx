import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { lang, setLang, t } from '../i18n';
import { expiredNotice, loadMe, rememberPerson } from '../state';
import { errorText, showError, showOk } from '../ui';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await call(() => api.POST('/v1/sessions', { body: { username, password, browser: true } }));
      rememberPerson(s.person!);
      await loadMe(s.person!);
      onSignedIn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card">
        <h1>{t('app')}</h1>
        <h2>{t('signIn')}</h2>
        {expiredNotice.value && (
          <p class="notice" role="status" data-testid="expired">
            {t('sessionExpired')}
          </p>
        )}
        <label>
          {t('username')}
          <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('signingIn') : t('signIn')}
        </button>
        <button type="button" class="link" onClick={() => setLang(lang.value === 'vi' ? 'en' : 'vi')}>
          {t('language')}
        </button>
      </form>
    </main>
  );
}

export function Account() {
  const [oldPassword, setOld] = useState('');
  const [newPassword, setNew] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await call(() => api.POST('/v1/accounts:changePassword', { body: { oldPassword, newPassword } }));
      setOld('');
      setNew('');
      showOk(t('passwordChanged'));
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>{t('changePassword')}</h1>
      <form onSubmit={submit} class="card narrow">
        <label>
          {t('oldPassword')}
          <input type="password" autoComplete="current-password" required value={oldPassword} onInput={(e) => setOld(e.currentTarget.value)} />
        </label>
        <label>
          {t('newPassword')}
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            maxLength={128}
            value={newPassword}
            onInput={(e) => setNew(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {t('save')}
        </button>
      </form>
    </section>
  );
}
