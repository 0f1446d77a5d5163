import { Grammar } from 'sip.js';
import { describe, expect, it } from 'vitest';
import { fastGrammarParse } from '../../src/fast-parser';
import { checkReferTo, cleanReferredBy, MAX_REFER_TO_LENGTH } from '../../src/sip/refer-target';

/** The refusal reason for `raw`, or a failure naming what was accepted. */
function refusal(raw: unknown): string {
  const checked = checkReferTo(raw);
  if (checked.ok) throw new Error(`accepted ${JSON.stringify(raw)} as ${checked.target}`);
  return checked.reason;
}

const ACCEPTED: [string, string][] = [
  ['sip:carol@example.com', 'sip:carol@example.com'],
  ['<sip:carol@example.com>', 'sip:carol@example.com'],
  ['  <sip:carol@example.com>  ', 'sip:carol@example.com'],
  ['"Carol" <sip:carol@example.com:5070;transport=ws>;method=INVITE', 'sip:carol@example.com:5070'],
  ['<sip:carol@example.com;method=INVITE>', 'sip:carol@example.com'],
  ['<sip:carol@example.com>;method=INVITE', 'sip:carol@example.com'],
  ['<sip:carol@example.com>;cid=abc', 'sip:carol@example.com'],
  ['sip:carol@example.com;lr', 'sip:carol@example.com'],
  ['sips:carol@[::1]:5061', 'sips:carol@[::1]:5061'],
  ['SIP:Carol@EXAMPLE.com', 'sip:Carol@example.com'],
  ['sip:conference.example.com', 'sip:conference.example.com'],
  ['<sip:+15551234@example.com;user=phone>', 'sip:+15551234@example.com'],
  ['<sip:%63arol@example.com>', 'sip:carol@example.com'],
];

const REFUSED: [string, RegExp][] = [
  // URI headers: whatever they are, sip.js copies them into the INVITE.
  ['sip:x@h?Replaces=a%0D%0AX-Injected:%20y', /control/],
  ['<sip:x@h?Replaces=a%0D%0AX-Injected:%20y>', /control/],
  ['<sip:x@h?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>', /headers/],
  ['sip:x@h?Route=%3Csip:attacker%3E', /headers/],
  ['<sip:x@h?Route=%3Csip:attacker.example;lr%3E>', /headers/],
  ['<sip:x@h?X-Anything=1>;method=INVITE', /headers/],
  ['"Bob" <sip:x@h?subject=hi>', /headers/],
  ['"who?" <sip:x@h>', /headers/],
  // CR, LF, NUL, raw or percent-encoded in any case.
  ['<sip:x@h>\r\nX-Injected: y', /control/],
  ['<sip:x@h>\nRoute: <sip:attacker>', /control/],
  ['<sip:x@h>\r', /control/],
  ['<sip:x\u0000@h>', /control/],
  ['<sip:x@h>;a=%0d%0aX:%20y', /control/],
  ['<sip:x%0Ay@h>', /control/],
  ['<sip:x%0ay@h>', /control/],
  ['<sip:x%0dy@h>', /control/],
  ['<sip:x%00y@h>', /control/],
  ['<sip:x%1by@h>', /control/],
  ['<sip:x%7Fy@h>', /control/],
  // Not SIP.
  ['tel:+15551234', /parse/],
  ['<tel:+15551234>', /parse/],
  ['<http://example.com/x>', /scheme/],
  ['<mailto:x@example.com>', /scheme|parse/],
  // Not a Refer-To at all.
  ['garbage', /parse/],
  ['', /parse/],
  ['<sip:x@h', /parse/],
  ['<sip:a@h>, <sip:b@h>', /parse/],
  ['<>', /parse/],
  // Parts that cannot be rebuilt faithfully, or ask for something other than a call.
  ['<sip:x@h;method=BYE>', /method/],
  ['<sip:x@h;method=SUBSCRIBE>', /method/],
  ['<sip:x@h;maddr=attacker.example>', /maddr/],
  ['sip:u:password@h', /user/],
  ['<sip:a%253Fb@h>', /user/],
  ['<sip:a%40b@h>', /user/],
  ['<sip:%C3%A9@h>', /user/],
  ['sip:x@h:0', /port/],
  ['sip:x@h:99999', /port/],
];

describe('checkReferTo: what a peer may ask us to call', () => {
  it.each(ACCEPTED)('%s: calls %s (user, host and port only)', (raw, target) => {
    expect(checkReferTo(raw)).toEqual({ ok: true, target });
  });

  it('rebuilds a target that parses back to the same parts with no parameter and no header', () => {
    const checked = checkReferTo('"x" <sip:a.b-c_d!~*\'()&=+$,;/@h.example:65535;transport=tcp;x=y>;p=q');
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const uri = Grammar.URIParse(checked.target)!;
    expect(uri.user).toBe("a.b-c_d!~*'()&=+$,;/");
    expect(uri.host).toBe('h.example');
    expect(uri.port).toBe(65535);
    expect(Object.keys(uri.parameters)).toEqual([]);
    expect(Object.keys(uri.headers)).toEqual([]);
    expect(checked.target).not.toMatch(/[?\r\n\0]/);
  });

  describe('refused', () => {
    it.each(REFUSED)('%j (%s)', (raw, reason) => {
      expect(refusal(raw)).toMatch(reason);
    });

    it('anything but one string', () => {
      for (const raw of [undefined, null, 42, {}, ['sip:x@h'], { toString: () => 'sip:x@h' }]) {
        expect(refusal(raw)).toMatch(/no single/);
      }
    });

    it(`a value longer than ${MAX_REFER_TO_LENGTH} characters, unparsed, even when well formed`, () => {
      const host = `${`${'a'.repeat(60)}.`.repeat(17)}example`;
      const raw = `<sip:x@${host}>`;
      expect(raw.length).toBeGreaterThan(MAX_REFER_TO_LENGTH);
      expect(refusal(raw)).toMatch(/longer than 1024/);
      expect(refusal('x'.repeat(10_000_000))).toMatch(/longer/);
      // Just under the cap still parses.
      const fits = `<sip:x@${'a'.repeat(MAX_REFER_TO_LENGTH - 20)}.example>`;
      expect(fits.length).toBeLessThanOrEqual(MAX_REFER_TO_LENGTH);
      expect(checkReferTo(fits).ok).toBe(true);
    });

    it('never repeats the hostile value in its reason', () => {
      const raw = '<sip:x@h?Replaces=a%0D%0AX-Injected:%20y>';
      expect(refusal(raw)).not.toContain('Injected');
      expect(refusal('<sip:x@h>\r\nX-Injected: y')).not.toContain('Injected');
    });
  });
});

describe('cleanReferredBy', () => {
  it('is the Refer-To check: the rebuilt URI, or undefined', () => {
    expect(cleanReferredBy('"Alice" <sip:alice@example.com>;cid="12@example.com"')).toBe('sip:alice@example.com');
    expect(cleanReferredBy('<sip:alice@example.com?X-Evil=1>')).toBeUndefined();
    expect(cleanReferredBy('<sip:alice@example.com>\r\nX: y')).toBeUndefined();
    expect(cleanReferredBy(undefined)).toBeUndefined();
  });
});

describe('whichever parser sip.js runs', () => {
  it("gives the same verdict with sipstate's fast parser installed as with sip.js's own", () => {
    const inputs = [...ACCEPTED.map(([raw]) => raw), ...REFUSED.map(([raw]) => raw)];
    const original = Grammar.parse;
    const withSipJs = inputs.map((raw) => checkReferTo(raw));
    (Grammar as { parse: unknown }).parse = fastGrammarParse;
    try {
      expect(inputs.map((raw) => checkReferTo(raw))).toEqual(withSipJs);
    } finally {
      (Grammar as { parse: unknown }).parse = original;
    }
    expect(withSipJs.filter((checked) => checked.ok)).toHaveLength(ACCEPTED.length);
  });
});
