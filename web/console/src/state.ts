// Who is signed in, the route, and flash messages: the console's global state (signals).
import { signal } from '@preact/signals';
import { api, call, idOf, type Person } from './api/client';

export const me = signal<Person | null>(null);
export const route = signal<string>(location.pathname);
export const flash = signal<{ text: string; error?: boolean } | null>(null);
export const expiredNotice = signal<boolean>(false);

export function navigate(path: string) {
  if (path !== location.pathname) history.pushState(null, '', path);
  route.value = path;
  window.scrollTo(0, 0);
}
window.addEventListener('popstate', () => (route.value = location.pathname));

export function hasRole(...roles: string[]): boolean {
  const have = (me.value?.roles ?? []) as string[];
  return roles.some((r) => have.includes(r));
}

export const isAuthor = () => hasRole('CORE_TEACHER', 'CORE_MANAGER');
export const isLecturer = () => hasRole('PEDAGOGY_LECTURER', 'MANAGEMENT_LECTURER');
export const isSigner = () =>
  hasRole('PRINCIPAL', 'DISTRICT_LEADER', 'DISTRICT_OFFICER', 'PROVINCE_LEADER', 'PROVINCE_OFFICER');
export const isOfficer = () =>
  hasRole('DISTRICT_LEADER', 'DISTRICT_OFFICER', 'PROVINCE_LEADER', 'PROVINCE_OFFICER');

export const PERSON_KEY = 'bdtx.person';

export function rememberPerson(name: string) {
  localStorage.setItem(PERSON_KEY, name);
}

export async function loadMe(name: string) {
  me.value = await call(() => api.GET('/v1/people/{peopleId}', { params: { path: { peopleId: idOf(name) } } }));
}
