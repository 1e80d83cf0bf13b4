// CPR numbers as the server reads them (lib/core/cpr.c): both forms, the same checks in the
// same order, and the same messages (i18n keys cpr_err_*; in English the server's own words).
// Modulus 11 is not required: numbers without it have been issued since 2007.
export function centuryYear(yy, d7) {
  if (d7 <= 3) return 1900 + yy;
  if (d7 === 4 || d7 === 9) return (yy <= 36 ? 2000 : 1900) + yy;
  return (yy <= 57 ? 2000 : 1800) + yy;
}

function dateExists(y, m, d) {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}

// {ok: true, digits, birth: 'YYYY-MM-DD', female} or {ok: false, error: i18n key, partial}.
// partial: the text may still become valid by typing more (no message yet while typing).
export function parseCpr(text, today = new Date()) {
  const s = String(text ?? '').trim();
  if (s === '') return { ok: false, error: 'cpr_err_empty', partial: true };
  let hyphens = 0;
  let hyphenAt = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '-') {
      if (hyphens++ === 0) hyphenAt = i;
    } else if (c < '0' || c > '9') {
      return { ok: false, error: 'cpr_err_chars', partial: false };
    }
  }
  if (hyphens > 1 || (hyphens === 1 && hyphenAt !== 6)) {
    return { ok: false, error: 'cpr_err_hyphen', partial: false };
  }
  const digits = s.replace('-', '');
  if (digits.length >= 4) {
    const month = Number(digits.slice(2, 4));
    if (month < 1 || month > 12) return { ok: false, error: 'cpr_err_month', partial: false };
  }
  if (digits.length !== 10) {
    return { ok: false, error: 'cpr_err_length', partial: digits.length < 10 };
  }
  const day = Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  const year = centuryYear(Number(digits.slice(4, 6)), Number(digits[6]));
  if (!dateExists(year, month, day)) return { ok: false, error: 'cpr_err_day', partial: false };
  const birth = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const now = today.toISOString().slice(0, 10);
  if (birth > now) return { ok: false, error: 'cpr_err_future', partial: false };
  return { ok: true, digits, birth, female: Number(digits[9]) % 2 === 0 };
}
