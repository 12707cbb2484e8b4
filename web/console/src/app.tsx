// The shell: sign-in gate, header (navigation by role, notifications bell, language,
// sign-out) and the routes. Client routes are real paths; the gateway answers any of
// them with index.html (static_site.h).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, onSessionExpired } from './api/client';
import { lang, setLang, t } from './i18n';
import { Bell } from './screens/bell';
import { Dashboard } from './screens/dashboard';
import { EligibilityList, Extensions, Review } from './screens/grading';
import { DocumentView } from './screens/document';
import { Inbox } from './screens/inbox';
import { MyDocuments } from './screens/documents';
import { Account, SignIn } from './screens/signin';
import { PERSON_KEY, expiredNotice, isAuthor, isLecturer, isOfficer, isSigner, loadMe, me, navigate, route } from './state';
import { Flash, Loading, showError, showOk } from './ui';

function homeFor(): string {
  if (isAuthor()) return '/documents';
  if (isLecturer() || isSigner()) return '/inbox';
  if (isOfficer()) return '/dashboard';
  return '/account';
}

async function signOut() {
  try {
    await api.DELETE('/v1/sessions', { params: { query: {} } });
  } catch {
    // the cookies are cleared below either way
  }
  localStorage.removeItem(PERSON_KEY);
  me.value = null;
  navigate('/');
  showOk(t('signedOut'));
}

export function App() {
  const [booting, setBooting] = useState(true);
  useEffect(() => {
    document.documentElement.lang = lang.value;
    onSessionExpired(() => {
      if (me.value) {
        me.value = null;
        expiredNotice.value = true;
      }
    });
    const stored = localStorage.getItem(PERSON_KEY);
    if (!stored) {
      setBooting(false);
      return;
    }
    loadMe(stored)
      .catch((e) => {
        // Signed in on this browser before, but the session has ended (expired, signed out
        // elsewhere, password changed): say so on the sign-in screen.
        if (e instanceof ApiError && e.httpStatus === 401) expiredNotice.value = true;
        localStorage.removeItem(PERSON_KEY);
      })
      .finally(() => setBooting(false));
  }, []);

  if (booting) return <Loading />;
  const person = me.value;
  if (!person) {
    return (
      <>
        <Flash />
        <SignIn
          onSignedIn={() => {
            expiredNotice.value = false;
            navigate(route.value === '/' || route.value === '/signin' ? homeFor() : route.value);
          }}
        />
      </>
    );
  }
  let path = route.value;
  if (path === '/' || path === '/signin') {
    path = homeFor();
    history.replaceState(null, '', path);
  }
  let screen;
  if (path === '/documents') screen = <MyDocuments />;
  else if (path.startsWith('/documents/')) screen = <DocumentView id={decodeURIComponent(path.slice(11))} />;
  else if (path === '/inbox') screen = <Inbox />;
  else if (path === '/dashboard') screen = <Dashboard />;
  else if (path === '/review') screen = <Review />;
  else if (path === '/extensions') screen = <Extensions />;
  else if (path === '/eligibility') screen = <EligibilityList />;
  else if (path === '/account') screen = <Account />;
  else screen = <p>404</p>;

  const nav: [string, string][] = [];
  if (isAuthor()) nav.push(['/documents', t('myDocuments')]);
  if (isLecturer() || isSigner()) nav.push(['/inbox', t('inbox')]);
  if (isLecturer()) nav.push(['/review', t('review')]);
  if (isOfficer()) nav.push(['/dashboard', t('dashboard')], ['/extensions', t('extensions')], ['/eligibility', t('eligibilityList')]);
  nav.push(['/account', t('changePassword')]);

  return (
    <>
      <a class="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            BD
          </span>
          <span class="title">{t('app')}</span>
        </div>
        <nav aria-label={t('menu')}>
          {nav.map(([href, label]) => (
            <a
              href={href}
              class={path.startsWith(href) ? 'active' : ''}
              aria-current={path.startsWith(href) ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(href);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <div class="tools">
          <Bell />
          <button type="button" class="link" onClick={() => setLang(lang.value === 'vi' ? 'en' : 'vi')}>
            {t('language')}
          </button>
          <span class="who" data-testid="who">
            {person.displayName}
          </span>
          <button type="button" onClick={() => signOut().catch(showError)}>
            {t('signOut')}
          </button>
        </div>
      </header>
      <Flash />
      <main id="main">{screen}</main>
    </>
  );
}
