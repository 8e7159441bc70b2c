import { lazy } from 'react';
import type { RouteDef } from '../app/routes';
// Centres of the social desk on the city map (a small eager module: the map reads its layers at start).
import './social/map-layer';
import { CITIZEN_ROUTES } from './citizen/routes';

/**
 * Module pages. Each module has its folder here (its page, components and i18n/{fr,ar,en}.json) and
 * adds one line below; its code is a separate chunk, loaded only when the page is opened.
 */
export const MODULE_ROUTES: RouteDef[] = [
  { path: '/social', navKey: 'nav.social', component: lazy(() => import('./social/SocialPage')), nav: true },
  ...CITIZEN_ROUTES,
  { path: '/lighting', navKey: 'nav.lighting', component: lazy(() => import('./lighting/LightingPage')), nav: true },
  { path: '/waste', navKey: 'nav.waste', component: lazy(() => import('./waste/WastePage')), nav: true },
  { path: '/about', navKey: 'nav.about', component: lazy(() => import('./about/AboutPage')), nav: true },
];
