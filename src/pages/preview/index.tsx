/**
 * Policy preview: the office × tool matrix of the policy in force, read-only. Lets IT and
 * compliance check on a managed browser what every office gets, not only this employee's office.
 */
import '../shared/theme.css';
import './preview.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ResponseMap } from '../../core/messages.ts';
import { sendRequest } from '../shared/ext.ts';

type Answer = ResponseMap['get-matrix'];

function PreviewApp() {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    sendRequest({ type: 'get-matrix' }).then(setAnswer, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  if (error) return <p data-testid="preview-error">{error}</p>;
  if (!answer) return <p>Loading…</p>;
  const m = answer.matrix;
  if (!m) return <p data-testid="preview-empty">No verified policy is in force, so there is nothing to preview.</p>;
  return (
    <main>
      <h1>Policy preview</h1>
      <p data-testid="policy-serial">Policy serial {m.serial}, as of {new Date(m.at).toLocaleString()}</p>
      <table data-testid="matrix">
        <thead>
          <tr>
            <th scope="col">Office</th>
            <th scope="col">Group</th>
            {m.tools.map((t) => <th scope="col" key={t.id} title={t.id}>{t.name}</th>)}
          </tr>
        </thead>
        <tbody>
          {m.rows.map((r) => (
            <tr key={`${r.office}/${r.group ?? ''}`} data-office={r.office} data-group={r.group ?? ''} class={r.office === answer.office ? 'mine' : undefined}>
              <th scope="row">{r.officeName} ({r.office})</th>
              <td>{r.group ?? '—'}</td>
              {m.tools.map((t) => {
                const c = r.cells[t.id]!;
                return (
                  <td key={t.id} data-tool={t.id} class={`action-${c.action}`}>
                    <span data-testid="cell-action">{c.action}</span>
                    {c.rule ? <small> {c.rule}</small> : null}
                    {c.modelRules.map((x) => <small key={x.rule}> · {x.action} for {x.models.join(', ')} ({x.rule})</small>)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

const root = document.getElementById('app') ?? document.body;
root.textContent = '';
render(<PreviewApp />, root);
