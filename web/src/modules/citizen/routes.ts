import { lazy } from 'react';
import type { RouteDef } from '../../app/routes';

/** Citizen services' pages; listed in web/src/modules/registry.ts. */
export const CITIZEN_ROUTES: RouteDef[] = [
  { path: '/report', navKey: 'nav.report', component: lazy(() => import('./ReportPage')), nav: true },
  { path: '/track', navKey: 'nav.track', component: lazy(() => import('./TrackPage')) },
  { path: '/citizen/map', navKey: 'nav.reportsMap', component: lazy(() => import('./ReportsMapPage')) },
  { path: '/citizen/office', navKey: 'nav.citizenOffice', component: lazy(() => import('./BackOfficePage')) },
];
