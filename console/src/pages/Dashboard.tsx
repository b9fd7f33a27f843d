import { ArcElement, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { Bar, Doughnut } from 'react-chartjs-2';
import { seg, type Api } from '../api';
import { useSession } from '../session';
import { ErrorNote, Loading, Section, useLoad } from '../components/ui';
import type { QueueItem, QueuePage } from './Queue';

Chart.register(ArcElement, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
// Chart.js' default grey is too light for small labels.
Chart.defaults.color = '#333';
Chart.defaults.font.size = 13;

/** At most this many assessed consignments are counted (the queue pages by 200, oldest first). */
const MAX_ITEMS = 2000;
/**
 * Clearance times and how consignments were released come from each one's decisions (the queue
 * does not say who released it): a sample of the released ones, those assessed last among the
 * consignments counted.
 */
const CLEARANCE_SAMPLE = 40;
const RELEASED = new Set(['released', 'delivered', 'exited']);
const LANE_COLOURS: Record<string, string> = { green: '#1b7f3b', amber: '#b25e00', red: '#b3261e' };

interface Stats {
  readonly items: readonly QueueItem[];
  readonly total: number;
  readonly perHour: readonly (readonly [string, number])[];
  readonly lanes: Readonly<Record<string, number>>;
  readonly released: number;
  readonly clearance: { readonly auto: number[]; readonly officer: number[] };
}

type Assessed = QueueItem & { readonly firstAssessedAt: string; readonly lane: string };

async function loadStats(api: Api, signal: AbortSignal): Promise<Stats> {
  const queued: QueueItem[] = [];
  let total = 0;
  do {
    const page = await api.get<QueuePage>(
      `/v1/customs/queue?includeClosed=true&limit=200&offset=${queued.length}`,
      signal,
    );
    total = page.total;
    queued.push(...page.items);
    if (page.items.length === 0) break;
  } while (queued.length < Math.min(total, MAX_ITEMS));
  // One never assessed (its automatic assessment failed) waits in the queue, outside these figures.
  const items = queued.filter((i): i is Assessed => i.firstAssessedAt !== null && i.lane !== null);

  const hours = new Map<string, number>();
  const lanes: Record<string, number> = { green: 0, amber: 0, red: 0 };
  for (const item of items) {
    // The browser's local hour, as every other time in the console is shown.
    const hour = localHour(item.firstAssessedAt);
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
    lanes[item.lane] = (lanes[item.lane] ?? 0) + 1;
  }
  const released = items.filter((i) => RELEASED.has(i.status));
  const sample = released.slice(-CLEARANCE_SAMPLE);
  const clearance = { auto: [] as number[], officer: [] as number[] };
  // A few requests at a time: the dashboard must not crowd out the officers' own work.
  for (let i = 0; i < sample.length; i += 6) {
    await Promise.all(
      sample.slice(i, i + 6).map(async (item) => {
        const c = await api.get<{
          consignment: { createdAt: string };
          decisions?: { decision: string; decidedAt: string; automatic: boolean }[];
        }>(`/v1/consignments/${seg(item.consignmentId)}`, signal);
        const release = c.decisions?.find((d) => d.decision === 'release');
        if (!release) return;
        const minutes = (Date.parse(release.decidedAt) - Date.parse(c.consignment.createdAt)) / 60_000;
        (release.automatic ? clearance.auto : clearance.officer).push(minutes);
      }),
    );
  }
  return {
    items,
    total,
    perHour: [...hours.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-48),
    lanes,
    released: released.length,
    clearance,
  };
}

const mean = (values: readonly number[]): number | undefined =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
const minutes = (value: number | undefined): string =>
  value === undefined
    ? '—'
    : value < 1
      ? `${Math.round(value * 60)} s`
      : value < 120
        ? `${value.toFixed(1)} min`
        : `${(value / 60).toFixed(1)} h`;
const percent = (part: number, whole: number): string =>
  whole ? `${((100 * part) / whole).toFixed(1)} %` : '—';

export function Dashboard() {
  const { api } = useSession();
  const stats = useLoad((signal) => loadStats(api, signal), 'dashboard');
  if (stats.error) return <ErrorNote error={stats.error} />;
  if (!stats.data) return <Loading what="the dashboard" />;
  const s = stats.data;
  const all = [...s.clearance.auto, ...s.clearance.officer];
  const sampled = `the ${all.length} released assessed last`;
  return (
    <>
      <h1>Dashboard</h1>
      <p className="muted">
        {s.items.length} assessed consignments
        {s.total > s.items.length ? ` (the oldest ${s.items.length} of ${s.total})` : ''}.{' '}
        <button type="button" onClick={stats.reload}>
          Refresh
        </button>
      </p>
      <div className="kpis" role="list">
        <Kpi label="Assessed" value={String(s.items.length)} />
        <Kpi label="Released" value={String(s.released)} />
        <Kpi
          label="Automatic-release rate"
          value={percent(s.clearance.auto.length, all.length)}
          hint={`of ${sampled}: ${s.clearance.auto.length} released by customs' service on a green-lane assessment, ${s.clearance.officer.length} by an officer`}
        />
        <Kpi
          label="Average clearance time"
          value={minutes(mean(all))}
          hint={`announcement to release, ${sampled}: automatic ${minutes(mean(s.clearance.auto))}, by an officer ${minutes(mean(s.clearance.officer))}`}
        />
      </div>
      <div className="grid">
        <Section title="Consignments per hour">
          <Bar
            role="img"
            aria-label={`Consignments first assessed per hour: ${s.perHour.map(([h, n]) => `${h.slice(11)}h ${n}`).join(', ')}`}
            data={{
              labels: s.perHour.map(([hour]) => `${hour.slice(5, 10)} ${hour.slice(11)}:00`),
              datasets: [
                { label: 'Consignments', data: s.perHour.map(([, n]) => n), backgroundColor: '#1f5fa8' },
              ],
            }}
            options={{
              responsive: true,
              plugins: { legend: { display: false } },
              scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
            }}
          />
        </Section>
        <Section title="Lanes">
          <div className="doughnut">
            <Doughnut
              role="img"
              aria-label={`Lanes: ${Object.entries(s.lanes)
                .map(([lane, n]) => `${lane} ${n}`)
                .join(', ')}`}
              data={{
                labels: Object.keys(s.lanes),
                datasets: [
                  {
                    data: Object.values(s.lanes),
                    backgroundColor: Object.keys(s.lanes).map((l) => LANE_COLOURS[l] ?? '#666'),
                  },
                ],
              }}
              options={{ responsive: true, maintainAspectRatio: true }}
            />
          </div>
          <ul className="legend">
            {Object.entries(s.lanes).map(([lane, n]) => (
              <li key={lane}>
                {lane}: {n} ({percent(n, s.items.length)})
              </li>
            ))}
          </ul>
        </Section>
      </div>
    </>
  );
}

function Kpi({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="kpi" role="listitem">
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
      {hint && <div className="muted small">{hint}</div>}
    </div>
  );
}

/** `YYYY-MM-DDTHH` of an instant in the browser's time zone, sortable like the ISO form. */
function localHour(iso: string): string {
  const at = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}`;
}
