/**
 * The login wizard: phone → code → 2FA password, or a live QR code to scan from a phone that is already
 * logged in. Each step's error (wrong code, expired code, wrong password, flood wait) is shown in words.
 */
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import type { DeviceApi, LoginStep } from '../../../bridge/protocol/index.js';
import { formatLeft, useNow } from '../deviceState.js';

/** The login screen. */
export function Login({ api, step, loggedIn }: { api: DeviceApi; step: LoginStep; loggedIn: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  useEffect(() => setValue(''), [step.step]);

  const run = async (fn: () => Promise<{ ok: boolean; error?: string } | unknown>) => {
    setError('');
    try {
      const r = (await fn()) as { ok?: boolean; error?: string };
      if (r && r.ok === false) setError(r.error ?? 'That did not work.');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const start = (method: 'phone' | 'qr') => void run(() => api.call('login.start', { method }));
  const answer = (s: 'phone' | 'code' | 'password') => (e: React.FormEvent) => {
    e.preventDefault();
    if (value.trim()) void run(() => api.call('login.answer', { step: s, value }));
  };
  const stepError = 'error' in step ? (step.error ?? '') : '';

  return (
    <section className="screen login" aria-labelledby="login-title">
      <h1 id="login-title">Telegram account</h1>
      {(step.step === 'idle' || step.step === 'done' || step.step === 'failed') && (
        <div className="card">
          {loggedIn && step.step !== 'failed' ? (
            <p role="status">Logged in as {loggedIn}. The session stays on this computer.</p>
          ) : (
            <p>Log in to your Telegram account. The session stays on this computer; the relay never sees it.</p>
          )}
          <div className="actions">
            <button type="button" className="primary" onClick={() => start('phone')}>
              Log in with phone number
            </button>
            <button type="button" onClick={() => start('qr')}>
              Log in with QR code
            </button>
          </div>
        </div>
      )}
      {step.step === 'working' && (
        <p className="card" role="status">
          Talking to Telegram…
        </p>
      )}
      {step.step === 'phone' && (
        <StepForm label="Phone number" hint="International format, e.g. +15551234567" type="tel" onSubmit={answer('phone')} value={value} setValue={setValue} autoComplete="tel" />
      )}
      {step.step === 'code' && (
        <StepForm
          label="Login code"
          hint={step.viaApp ? 'Telegram sent the code to your Telegram app.' : 'Telegram sent the code by SMS.'}
          type="text"
          inputMode="numeric"
          onSubmit={answer('code')}
          value={value}
          setValue={setValue}
          autoComplete="one-time-code"
        />
      )}
      {step.step === 'password' && (
        <StepForm
          label="2FA password"
          hint={step.hint ? `Your hint: ${step.hint}` : 'The cloud password you set in Telegram.'}
          type="password"
          onSubmit={answer('password')}
          value={value}
          setValue={setValue}
          autoComplete="current-password"
        />
      )}
      {step.step === 'qr' && <QrStep url={step.url} expiresAt={step.expiresAt} />}
      <p className="error" role="alert">
        {step.step === 'failed' ? step.error : stepError || error}
      </p>
      {step.step !== 'idle' && step.step !== 'done' && step.step !== 'failed' && (
        <button type="button" onClick={() => void run(() => api.call('login.cancel', {}))}>
          Cancel login
        </button>
      )}
    </section>
  );
}

interface StepFormProps {
  label: string;
  hint: string;
  type: 'tel' | 'text' | 'password';
  inputMode?: 'numeric';
  autoComplete: string;
  value: string;
  setValue: (v: string) => void;
  onSubmit: (e: React.FormEvent) => void;
}

function StepForm({ label, hint, type, inputMode, autoComplete, value, setValue, onSubmit }: StepFormProps) {
  return (
    <form className="card" onSubmit={onSubmit}>
      <label className="field">
        <span>{label}</span>
        <input
          type={type}
          inputMode={inputMode}
          autoComplete={autoComplete}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          autoFocus
          required
        />
        <small className="muted">{hint}</small>
      </label>
      <button type="submit" className="primary">
        Continue
      </button>
    </form>
  );
}

function QrStep({ url, expiresAt }: { url: string; expiresAt: number }) {
  const now = useNow();
  const [image, setImage] = useState('');
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(url, { margin: 1, width: 240 }).then(
      (data) => live && setImage(data),
      () => live && setImage(''),
    );
    return () => {
      live = false;
    };
  }, [url]);
  return (
    <div className="card qr">
      <p>In Telegram on your phone: Settings → Devices → Link Desktop Device, then scan this code.</p>
      <div className="qr-box">{image && <img src={image} alt="QR code to scan with Telegram" width={240} height={240} />}</div>
      <p className="muted" role="status">
        {expiresAt > now ? `A new code appears in ${formatLeft(expiresAt - now)}` : 'Getting a new code…'}
      </p>
    </div>
  );
}
