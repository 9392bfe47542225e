// The cluster page (#/cluster): the nodes that sent a heartbeat in the last minute, the registry
// they share and the device claims held now, as `opencapf cluster status` shows them
// (GET /api/v1/cluster).
import { get } from './api.js';
import { h, section, show, table, time } from './ui.js';

function registryFacts(c) {
  return h('dl', { class: 'facts', id: 'cluster-registry' },
    h('dt', {}, 'Engine'), h('dd', {}, c.registry.engine),
    h('dt', {}, 'Location'), h('dd', {}, h('code', {}, c.registry.location)),
    h('dt', {}, 'Schema version'), h('dd', {}, String(c.schema_version)),
    h('dt', {}, 'As of'), h('dd', {}, time(c.now)));
}

const kNodeColumns = [
  { title: 'Node', cell: (n) => n.node },
  { title: 'Version', cell: (n) => n.version },
  { title: 'Listen', class: 'wrap-cell', cell: (n) => n.listen },
  { title: 'Sessions', cell: (n) => String(n.sessions) },
  { title: 'Started', cell: (n) => time(n.started) },
  { title: 'Last seen', cell: (n) => `${time(n.seen)} (${n.age_seconds} s ago)` },
];

const kClaimColumns = [
  { title: 'Device', cell: (c) => h('a', { href: `#/devices/${encodeURIComponent(c.device)}` }, c.device) },
  { title: 'Node', cell: (c) => c.node },
  { title: 'Session', cell: (c) => h('code', {}, c.session) },
  { title: 'Claimed', cell: (c) => time(c.claimed) },
  { title: 'Expires', cell: (c) => time(c.expires) },
];

export async function clusterPage(view) {
  const c = await get('/api/v1/cluster');
  show(view,
    h('h1', {}, 'Cluster'),
    section(`Nodes seen in the last minute (${c.nodes.length})`,
      h('div', { id: 'cluster-nodes' }, table(kNodeColumns, c.nodes,
        { empty: 'No node sent a heartbeat in the last minute.' }))),
    section('Registry', registryFacts(c)),
    section(`Device claims held now (${c.claims.length})`,
      h('p', { class: 'hint' }, 'A phone session holds its device until it ends; a claim of a node that stopped lapses ',
        'after [cluster] lease_seconds and another node may then serve the phone.'),
      h('div', { id: 'cluster-claims' }, table(kClaimColumns, c.claims, { empty: 'No device is claimed now.' }))));
}
