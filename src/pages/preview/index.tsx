/**
 * Policy preview: the office × tool matrix of the policy in force, read-only. Lets IT and
 * compliance check on a managed browser what every office gets, not only this employee's office.
 */
import '../../ui/theme.css';
import './preview.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ResponseMap } from '../../platform/messages.ts';
import { sendRequest } from '../../platform/browser.ts';

type Answer = ResponseMap['get-matrix'];

function PreviewApp() {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    sendRequest({ type: 'get-matrix' }).then(setAnswer, (e: unknown) =>
      setError(e instanceof Error ? e.message : String(e)),
    );
  }, []);
  if (error) return <p data-testid="preview-error">{error}</p>;
  if (!answer) return <p>Loading…</p>;
  const m = answer.matrix;
  if (!m) return <p data-testid="preview-empty">No verified policy is in force, so there is nothing to preview.</p>;
  // Rows for browsers away from their office only when a rule is about places.
  const away = m.rows.some((r) => r.location !== null);
  return (
    <main>
      <h1>Policy preview</h1>
      <p data-testid="policy-serial">
        Policy serial {m.serial}, as of {new Date(m.at).toLocaleString()}
      </p>
      <table data-testid="matrix">
        <thead>
          <tr>
            <th scope="col">Office</th>
            <th scope="col">Group</th>
            {away ? <th scope="col">Browser in</th> : null}
            {m.tools.map((t) => (
              <th scope="col" key={t.id} title={t.id}>
                {t.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {m.rows.map((r) => (
            <tr
              key={`${r.office}/${r.group ?? ''}/${r.location ?? ''}`}
              data-office={r.office}
              data-group={r.group ?? ''}
              data-location={r.location ?? ''}
              class={r.office === answer.office && r.location === null ? 'mine' : undefined}
            >
              <th scope="row">
                {r.officeName} ({r.office})
              </th>
              <td>{r.group ?? '—'}</td>
              {away ? <td>{r.location ?? 'the office'}</td> : null}
              {m.tools.map((t) => {
                const c = r.cells[t.id];
                if (!c) return <td key={t.id} data-tool={t.id} />;
                return (
                  <td key={t.id} data-tool={t.id} class={`action-${c.action}`}>
                    <span data-testid="cell-action">{c.action}</span>
                    {c.rule ? <small> {c.rule}</small> : null}
                    {c.modelRules.map((x) => (
                      <small key={x.rule}>
                        {' '}
                        · {x.action} for {x.models.join(', ')} ({x.rule})
                      </small>
                    ))}
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
