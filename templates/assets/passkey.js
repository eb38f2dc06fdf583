// Passkeys in the workspace (function/src/workspace/passkeys.rs): makes a
// passkey on "Passkeys" and signs in with one on "Aanmelden". The server
// sends WebAuthn's options with binary fields as base64url; the browser's
// API wants ArrayBuffers and answers with them, so this converts both
// ways and posts the answer as one form field (`credential`, JSON).
// Without this script, or in a browser without passkeys, the sections
// stay hidden and the sign-in link works as before.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !window.fetch) return;

  function fromB64(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var raw = '';
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function post(url, fields) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) {
          var error = new Error(body.message || 'Dat lukte niet. Probeer het opnieuw.');
          // The precise reason, for whoever looks in the console.
          if (body.errors && body.errors.length && window.console) console.warn(JSON.stringify(body.errors));
          throw error;
        }
        return body;
      });
    });
  }

  function say(text) {
    var box = document.getElementById('passkey-melding');
    if (!box) return;
    var line = document.createElement('p');
    line.className = 'error-message';
    line.textContent = text;
    box.replaceChildren(line);
  }

  function failed(error) {
    // The person closed the browser's window, or no passkey was found.
    if (error && error.name === 'NotAllowedError') {
      say('Er is geen passkey gebruikt. Probeer het opnieuw, of vraag een aanmeldlink aan.');
    } else if (error && error.name === 'InvalidStateError') {
      say('Deze passkey hebt u al toegevoegd.');
    } else {
      say(error && error.message ? error.message : 'Dat lukte niet. Probeer het opnieuw.');
    }
  }

  function extensions(credential) {
    try { return credential.getClientExtensionResults(); } catch (e) { return {}; }
  }

  function register(form) {
    var csrf = form.elements.csrf.value;
    post('/beheer/passkeys/begin', { csrf: csrf }).then(function (begun) {
      var options = begun.opties.publicKey;
      options.challenge = fromB64(options.challenge);
      options.user.id = fromB64(options.user.id);
      (options.excludeCredentials || []).forEach(function (c) { c.id = fromB64(c.id); });
      return navigator.credentials.create({ publicKey: options }).then(function (made) {
        var response = made.response;
        var credential = {
          id: made.id,
          rawId: toB64(made.rawId),
          type: made.type,
          extensions: extensions(made),
          response: {
            attestationObject: toB64(response.attestationObject),
            clientDataJSON: toB64(response.clientDataJSON),
            transports: response.getTransports ? response.getTransports() : undefined,
          },
        };
        return post('/beheer/passkeys/registreren', {
          csrf: csrf,
          ceremonie: begun.ceremonie,
          naam: form.elements.naam.value,
          credential: JSON.stringify(credential),
        });
      });
    }).then(function (done) { window.location.assign(done.naar); }, failed);
  }

  function signIn(email) {
    post('/beheer/aanmelden/passkey/begin', { email: email }).then(function (begun) {
      var options = begun.opties.publicKey;
      options.challenge = fromB64(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = fromB64(c.id); });
      return navigator.credentials.get({ publicKey: options }).then(function (used) {
        var response = used.response;
        var credential = {
          id: used.id,
          rawId: toB64(used.rawId),
          type: used.type,
          extensions: extensions(used),
          response: {
            authenticatorData: toB64(response.authenticatorData),
            clientDataJSON: toB64(response.clientDataJSON),
            signature: toB64(response.signature),
            userHandle: toB64(response.userHandle),
          },
        };
        return post('/beheer/aanmelden/passkey', {
          ceremonie: begun.ceremonie,
          credential: JSON.stringify(credential),
        });
      });
    }).then(function (done) { window.location.assign(done.naar); }, failed);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var add = document.getElementById('passkey-toevoegen');
    if (add) {
      add.hidden = false;
      add.addEventListener('submit', function (e) { e.preventDefault(); register(add); });
      add.querySelector('[data-passkey="toevoegen"]').addEventListener('click', function () { register(add); });
    }
    var signInBox = document.getElementById('passkey-aanmelden');
    if (signInBox) {
      signInBox.hidden = false;
      signInBox.querySelector('[data-passkey="aanmelden"]').addEventListener('click', function () {
        var email = document.getElementById('aanmelden-email');
        if (!email || !email.value.trim()) {
          say('Vul eerst uw e-mailadres in.');
          if (email) email.focus();
          return;
        }
        signIn(email.value.trim());
      });
    }
  });
}());
