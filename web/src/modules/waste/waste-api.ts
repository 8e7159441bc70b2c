/** The waste module's API from the browser (same origin, session cookie). Problems keep their lists (`body`). */

export { api, ApiProblem as Problem } from '../../app/module-api';

export interface Me {
  id: string;
  roles: string[];
  communes: string[];
}

export interface PlaceOption {
  code: string;
  kind: 'Commune' | 'Arrondissement';
  name: { fr?: string; ar?: string };
}

export interface Stop {
  seq: number;
  containerId: string;
  lon: number;
  lat: number;
  level: number;
  volumeL: number;
  reason: string;
  arrivalMin: number;
}

export interface Route {
  truck: number;
  depotId: string;
  distanceM: number;
  durationMin: number;
  loadL: number;
  stops: Stop[];
}

export interface Plan {
  id: string;
  placeCode: string;
  date: string;
  version: number;
  status: 'planned' | 'collected';
  actualDistanceM: number | null;
  depots: { id: string; name?: string; lon: number; lat: number }[];
  summary: { containersConsidered: number; containersPlanned: number; trucksUsed: number; distanceKm: number; volumeL: number };
  versions: { version: number }[];
  routes: Route[];
}

export interface PlanListItem {
  id: string;
  placeCode: string;
  date: string;
  latestVersion: number;
  latest: { status: string; summary: Plan['summary'] };
}

/** Follows a job over SSE until it ends; `onProgress` gets each progress event. */
export function followJob(eventsUrl: string, onProgress: (p: { fraction?: number; phase?: string; message?: string; bestKm?: number }) => void): Promise<{ status: string; result?: any; error?: any }> {
  return new Promise((resolve, reject) => {
    const es = new EventSource(eventsUrl, { withCredentials: true });
    es.addEventListener('progress', (e) => onProgress(JSON.parse((e as MessageEvent).data)));
    es.addEventListener('done', (e) => {
      es.close();
      resolve(JSON.parse((e as MessageEvent).data));
    });
    es.onerror = () => {
      // The server ends the stream after "done"; an error before it is a real failure.
      es.close();
      reject(new Error('lost the job stream'));
    };
  });
}

/** Same colours as the server's exports (exports.ts). */
export const TRUCK_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#e41a1c', '#377eb8', '#4daf4a', '#984ea3', '#ff7f00'];
export const truckColour = (truck: number) => TRUCK_COLOURS[(truck - 1) % TRUCK_COLOURS.length];
