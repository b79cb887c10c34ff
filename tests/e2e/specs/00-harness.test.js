// Checks the harness itself on a known page (written into the app's web view), so a failing
// scenario points at the app, not at how the tests find things.
import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';

const FIXTURE = `
<nav aria-label="Main"><button>Users</button><button aria-current="page">Audit log</button></nav>
<h1>Set up your organization</h1>
<label for="org">Organization name</label><input id="org">
<label>Owner email <input type="email"></label>
<label>Seats <input type="number" value="5"></label>
<input type="search" aria-label="Search users">
<label for="rf">Role filter</label><select id="rf"><option>All roles</option><option>Collaborator</option></select>
<label><input type="checkbox"> Over budget only</label>
<section aria-label="Summary"><div role="group" aria-labelledby="t"><span id="t">Total users</span> <b>12</b></div></section>
<meter aria-label="Seats" min="0" max="5" value="2" aria-valuenow="2" aria-valuemax="5"></meter>
<progress aria-label="Import progress" max="100" value="40"></progress>
<table aria-label="Users"><tr><th>Email</th></tr>
  <tr aria-label="ana@acme.com"><td><input type="checkbox" aria-label="Select ana@acme.com"></td>
    <td><button role="switch" aria-checked="false" aria-label="License for ana@acme.com"></button></td>
    <td>Collaborator</td><td><button aria-label="Edit ana@acme.com"><svg aria-hidden="true"></svg></button></td></tr>
</table>
<ul aria-label="Effective access"><li>Sales Coach — group Sales</li></ul>
<div role="alert">No license seat available: buy more seats.</div>
<dialog id="closed"><button>Hidden in a closed dialog</button></dialog>
<dialog id="open" aria-labelledby="dt"><h2 id="dt">Create user</h2><label>Email <input></label><button>Save</button></dialog>
<button hidden>Hidden</button><div id="gone"><button>Also hidden</button></div>
<button>Save</button>
`;

e2e('harness finds elements by role and accessible name', async (app) => {
  await app.session.execute('document.body.innerHTML = arguments[0]; document.getElementById("open").show();'
    // The app's CSP refuses inline style attributes; the CSSOM is allowed.
    + 'document.getElementById("gone").style.display = "none";', [FIXTURE]);

  await app.find('heading', 'Set up your organization');
  await app.find('navigation', 'Main');
  await app.find('button', 'Users', { within: await app.find('navigation', 'Main') }); // element scope
  await app.find('button', 'Users', { within: ['navigation', 'Main'] }); // path scope
  await app.fill('textbox', 'Organization name', 'Acme');
  assert.equal(await app.valueOf('textbox', 'Organization name'), 'Acme');
  await app.fill('textbox', 'Owner email', 'owner@acme.com');
  await app.fill('spinbutton', 'Seats', 7);
  assert.equal(await app.valueOf('spinbutton', 'Seats'), '7');
  await app.find('searchbox', 'Search users');
  await app.choose('Role filter', 'Collaborator');
  await app.click('checkbox', 'Over budget only');
  assert.equal(await app.checkedOf('checkbox', 'Over budget only'), true);
  assert.equal(await app.valueOf('combobox', 'Role filter'), 'Collaborator');

  assert.equal(await app.textOf('group', 'Total users', { within: ['region', 'Summary'] }), 'Total users 12');
  assert.equal(await app.attrOf('meter', 'Seats', 'aria-valuenow'), '2');
  await app.find('progressbar', 'Import progress');

  const row = [['table', 'Users'], ['row', 'ana@acme.com']];
  await app.find('checkbox', 'Select ana@acme.com', { within: row });
  await app.find('switch', 'License for ana@acme.com', { within: row });
  await app.find('button', 'Edit ana@acme.com', { within: row });
  assert.equal((await app.findAll('cell', 'Collaborator', { within: row })).length, 1);
  assert.equal((await app.findAll('cell', 'Collaborator', { within: [['table', 'Users'], ['row', 'bia@acme.com']] })).length, 0);
  assert.equal(await app.textOf('listitem', 'Sales Coach — group Sales'), 'Sales Coach — group Sales');
  assert.deepEqual(await app.alerts(), ['No license seat available: buy more seats.']);

  // Visibility: hidden and closed things are not found; two "Save" buttons need a container.
  assert.equal((await app.findAll('button', 'Hidden in a closed dialog')).length, 0);
  assert.equal((await app.findAll('button', 'Hidden')).length, 0);
  assert.equal((await app.findAll('button', 'Also hidden')).length, 0);
  await assert.rejects(app.find('button', 'Save', { timeout: 300 }), /2 elements match/);
  const dialog = ['dialog', 'Create user'];
  await app.fill('textbox', 'Email', 'bia@acme.com', { within: dialog });
  await app.click('button', 'Save', { within: dialog });
  await app.shot('fixture');
});
