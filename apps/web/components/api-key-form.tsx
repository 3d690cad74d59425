'use client';

import { useId, useState, type FormEvent } from 'react';
import styles from './api-key-form.module.css';

interface ApiKeyFormProps {
  onSubmit: (key: string) => void;
  onCancel?: () => void;
  /** Move focus to the input when shown (e.g. after a key was rejected or "Change key"). */
  autoFocus?: boolean;
}

/** Asks for an API key; it is kept in this browser's localStorage until dashboard sign-in exists. */
export function ApiKeyForm({ onSubmit, onCancel, autoFocus = false }: ApiKeyFormProps) {
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(false);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const key = value.trim();
    if (!key) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    setValue('');
    onSubmit(key);
  }

  return (
    <form className={styles.form} onSubmit={handleSubmit} noValidate>
      <label htmlFor={inputId} className={styles.label}>
        API key
      </label>
      <div className={styles.row}>
        <input
          id={inputId}
          className={styles.input}
          type="password"
          name="apiKey"
          autoComplete="off"
          spellCheck={false}
          autoFocus={autoFocus}
          value={value}
          onChange={(event) => setValue(event.target.value)}
          aria-invalid={invalid || undefined}
          aria-describedby={invalid ? `${errorId} ${hintId}` : hintId}
          placeholder="Paste an API key"
        />
        <button type="submit" className="button button-primary">
          Use key
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {invalid ? (
        <p id={errorId} className={styles.error}>
          Enter a key first.
        </p>
      ) : null}
      <p id={hintId} className={styles.hint}>
        Sent as <code>Authorization: Bearer …</code> and stored only in this browser. The first key of a new
        installation is <code>MENDFLOW_BOOTSTRAP_API_KEY</code>.
      </p>
    </form>
  );
}
