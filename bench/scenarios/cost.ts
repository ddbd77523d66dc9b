/**
 * Scenario 3: what one action costs the API server and the broker, counted (not estimated) over the
 * sequential scenario's execution: requests through the counting proxy, by verb, and events the
 * broker accepted plus the deliveries it made, from the durable event log. The counts include the
 * execution's fixed cost (start and finish), spread over its N actions.
 */
import { total, WRITES } from '../api-proxy.js';
import { atMost, type Row, type ScenarioResult } from '../report.js';
import type { SequentialMeasure } from './sequential.js';

const per = (count: number, actions: number): string => (count / actions).toFixed(2);

export function costScenario(measure: SequentialMeasure): ScenarioResult {
  const name = `3 cost per action (N=${measure.actions})`;
  const n = measure.actions;
  const writes = total(measure.api, WRITES);
  const verbs: Row[] = Object.entries(measure.api)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([verb, count]) => ({ scenario: name, measure: `API ${verb} / action`, value: per(count, n) }));
  const rows: Row[] = [
    atMost(name, 'API writes / action', writes / n, { limit: 3, show: (v) => v.toFixed(2) }),
    { scenario: name, measure: 'API requests / action (all)', value: per(total(measure.api), n) },
    ...verbs,
    atMost(name, 'broker events / action', measure.events.accepted / n, { limit: 3, show: (v) => v.toFixed(2) }),
    { scenario: name, measure: 'broker deliveries / action', value: per(measure.events.deliveries, n) },
    atMost(name, 'conflicts (409) / action', measure.conflicts / n, { limit: 0, show: (v) => v.toFixed(2) }),
    { scenario: name, measure: 'broker bytes accepted / action', value: (measure.events.acceptedBytes / n).toFixed(0) },
    { scenario: name, measure: 'broker bytes delivered / action', value: (measure.events.deliveredBytes / n).toFixed(0) },
  ];
  return { scenario: name, rows, details: { actions: n, api: measure.api, apiByResource: measure.apiByResource, events: measure.events } };
}
