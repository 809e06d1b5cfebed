// The controls that change a session: each is one POST, and a refusal shows
// the server's message (a reader gets its 42501 as "permission denied").
import { h, api } from './util.js';

function message(box, text, kind = 'error') {
  box.replaceChildren(text ? h('p', { class: `alert ${kind}`, role: 'alert' }, text) : '');
}

export function editForm(d, region, done) {
  if (region.querySelector('form.edit')) return region.querySelector('form.edit [name=title]').focus();
  const counter = h('span', { class: 'counter', id: 'desc-count', 'aria-live': 'polite' });
  const title = h('input', { name: 'title', required: true, value: d.title || '' });
  const desc = h('textarea', { name: 'description', 'aria-describedby': 'desc-count' });
  desc.value = d.description || '';
  const goal = h('textarea', { name: 'goal', rows: 2 });
  goal.value = d.goal || '';
  const tags = h('input', { name: 'tags', value: (d.tags || []).join(', ') });
  const notes = h('textarea', { name: 'notes', rows: 3 });
  notes.value = d.notes || '';
  const count = () => {
    const n = [...desc.value].length;
    counter.textContent = `${n} / 2000`;
    counter.classList.toggle('over', n > 2000);
  };
  desc.addEventListener('input', count);
  count();
  const msg = h('div');
  // novalidate: the server checks the lengths, and its message is what the page shows.
  const form = h('form', { class: 'edit card', 'aria-label': 'Edit session', novalidate: true },
    h('h3', {}, 'Edit'),
    h('label', {}, 'Title', title),
    h('label', {}, 'Description', desc), counter,
    h('label', {}, 'Goal', goal),
    h('label', {}, 'Tags', tags),
    h('label', {}, 'Notes', notes),
    msg,
    h('div', { class: 'tools' },
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api(`sessions/${d.id}/edit`, {
        title: title.value, description: desc.value, goal: goal.value, notes: notes.value,
        tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean),
      });
      form.remove();
      await done();
    } catch (e) {
      message(msg, e.message);  // what was typed stays
    }
  });
  region.querySelector('.tools.actions').after(form);
  title.focus();
}

// The project picked per session survives a live re-render of the details.
const picked = new Map();

export function projectControl(d, projects, done) {
  const select = h('select', { name: 'target' },
    projects.filter((p) => p.id !== d.project_id).map((p) => h('option', { value: p.name }, p.name)));
  if (picked.has(d.id) && [...select.options].some((o) => o.value === picked.get(d.id))) select.value = picked.get(d.id);
  const button = h('button', { type: 'button' }, 'Change project');
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel');
  const msg = h('div');
  let token = null;
  const reset = () => {
    token = null;
    button.textContent = 'Change project';
    cancel.hidden = true;
    box.removeAttribute('data-pending');
    message(msg, '');
  };
  select.addEventListener('change', () => { picked.set(d.id, select.value); reset(); });
  cancel.addEventListener('click', reset);
  button.addEventListener('click', async () => {
    box.dataset.pending = '1';  // from the click on: a live update must not redraw this
    try {
      const r = await api(`sessions/${d.id}/project`, { project: select.value, confirm: token });
      if (r.status === 'confirmation_required') {
        token = r.confirm;
        message(msg, r.warning, 'warn');
        button.textContent = 'Confirm change';
        cancel.hidden = false;
        button.focus();
        return;
      }
      reset();
      await done();
    } catch (e) {
      reset();
      message(msg, e.message);
    }
  });
  const box = h('fieldset', {}, h('legend', {}, 'Project'),
    h('div', { class: 'row' }, h('label', {}, 'Move to project', select), button, cancel), msg);
  return box;
}

export function ratingControl(d, done) {
  const name = `rating-${d.id}`;
  const radios = [1, 2, 3, 4, 5].map((n) => h('label', {},
    h('input', { type: 'radio', name, value: n, checked: d.rating === n }), `${n} ${n === 1 ? 'star' : 'stars'}`));
  const note = h('input', { name: 'note', value: d.rating_note || '' });
  const msg = h('div');
  const save = h('button', { type: 'button' }, 'Save rating');
  save.addEventListener('click', async () => {
    const picked = radios.map((l) => l.querySelector('input')).find((i) => i.checked);
    if (!picked) return message(msg, 'Pick 1 to 5 stars.');
    try {
      await api(`sessions/${d.id}/rating`, { stars: Number(picked.value), note: note.value || null });
      await done();
    } catch (e) {
      message(msg, e.message);
    }
  });
  return h('fieldset', {},
    h('legend', {}, 'Rating'),
    h('div', { role: 'radiogroup', 'aria-label': 'Rating', class: 'stars' }, radios),
    h('div', { class: 'row' }, h('label', {}, 'Rating note', note), save), msg);
}

export function endControl(d, done) {
  if (d.status !== 'active') return null;
  const wrap = h('span', { class: 'row' });
  const button = h('button', { type: 'button', class: 'danger' }, 'End session');
  const msg = h('div');
  let armed = false;
  button.addEventListener('click', async () => {
    if (!armed) {
      armed = true;
      wrap.dataset.pending = '1';
      button.textContent = 'Confirm end';
      message(msg, `End ${d.display_id} now? Click “Confirm end”.`, 'warn');
      return;
    }
    try {
      await api(`sessions/${d.id}/end`, {});
      await done();
    } catch (e) {
      armed = false;
      delete wrap.dataset.pending;
      button.textContent = 'End session';
      message(msg, e.message);
    }
  });
  wrap.append(button, msg);
  return wrap;
}
