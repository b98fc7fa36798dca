// auth.js: where the dashboard keeps its credential.  Sign-in is by API token
// today; an agency single sign-on would replace this module alone (it must
// give api.js a bearer token and say how to end the session).
//
// The token lives in sessionStorage only: gone when the tab closes, never
// in a URL, a cookie or localStorage, and never sent anywhere but this origin.
const KEY = 'grantd.token';

export function token() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function signIn(secret) {
  sessionStorage.setItem(KEY, secret);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem('grantd.who');
}

// Who the token is, as found at sign-in (role and team), kept beside it.
export function who() {
  try {
    return JSON.parse(sessionStorage.getItem('grantd.who') || 'null');
  } catch {
    return null;
  }
}

export function setWho(w) {
  sessionStorage.setItem('grantd.who', JSON.stringify(w));
}
