// Proof of work for the site's forms, progressive enhancement: while the
// visitor fills in a form, the browser looks for a stamp whose SHA-256
// starts with BITS zero bits (about 65,000 tries, a fraction of a second)
// and posts it in the hidden field "bewijs". A script that posts in bulk
// pays that work for every post; a person does not notice it. No third
// party, no cookie, nothing about the visitor in it: the stamp is a
// version, the difficulty, the time, random salt and a counter.
//
// Without JavaScript the forms work as before; the function then allows
// fewer posts per visitor (function/src/challenge.rs, which checks the
// stamp; BITS there and here must match, a test holds them together).
(function () {
  'use strict';
  var BITS = 16;
  var FIELD = 'bewijs';
  // Solve in slices, so typing stays smooth on a slow phone.
  var SLICE = 2000;

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);
  // A stamp is under 120 characters: two blocks at most.
  var M = new Int32Array(32);

  // The first 32 bits of SHA-256 of an ASCII string (the stamp is ASCII):
  // enough to count leading zero bits up to 32.
  function sha256head(text) {
    var n = text.length;
    var words = ((n + 9 + 63) >> 6) << 4;
    var m = words <= M.length ? M : new Int32Array(words);
    for (var i = 0; i < words; i++) m[i] = 0;
    for (i = 0; i < n; i++) m[i >> 2] |= text.charCodeAt(i) << (24 - (i & 3) * 8);
    m[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
    m[words - 1] = n * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var off = 0; off < words; off += 16) {
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (var t = 0; t < 64; t++) {
        if (t < 16) {
          W[t] = m[off + t] | 0;
        } else {
          var x = W[t - 15], y = W[t - 2];
          var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
        }
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[t] + W[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return h0 >>> 0;
  }

  function salt() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    var out = '';
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }

  // Calls done(stamp) once a stamp is found.
  function solve(done) {
    var prefix = '1:' + BITS + ':' + Math.floor(Date.now() / 1000) + ':' + salt() + ':';
    var limit = Math.pow(2, 32 - BITS);
    var counter = 0;
    function slice() {
      for (var end = counter + SLICE; counter < end; counter++) {
        if (sha256head(prefix + counter) < limit) {
          done(prefix + counter);
          return;
        }
      }
      setTimeout(slice, 0);
    }
    slice();
  }

  function arm(form) {
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = FIELD;
    form.appendChild(input);
    var stamp = null;
    var waiting = null;
    var made = 0;
    function fresh() {
      made = Date.now();
      solve(function (found) {
        stamp = found;
        input.value = found;
        if (waiting) {
          var submitter = waiting;
          waiting = null;
          if (form.requestSubmit) form.requestSubmit(submitter === true ? undefined : submitter);
          else form.submit();
        }
      });
    }
    fresh();
    form.addEventListener('submit', function (event) {
      // A stamp is good for two hours; a page left open longer makes a new one.
      if (stamp && Date.now() - made > 90 * 60 * 1000) {
        stamp = null;
        input.value = '';
        fresh();
      }
      if (stamp) return;
      event.preventDefault();
      waiting = event.submitter || true;
    });
  }

  if (!window.crypto || !window.crypto.getRandomValues) return;
  var forms = document.querySelectorAll('form[method="post"]');
  for (var i = 0; i < forms.length; i++) arm(forms[i]);
  // A page shown again from the back button still holds its used stamps:
  // the function takes each once, so load the page afresh.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) window.location.reload();
  });
})();
