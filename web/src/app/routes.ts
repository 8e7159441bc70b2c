import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { prefetchCityMap } from '../map/city-data';
import { MODULE_ROUTES } from '../modules/registry';

/** A page of the app. Every page is its own chunk, loaded when first visited. */
export interface RouteDef {
  path: string;
  /** Translation key of its navigation label. */
  navKey: string;
  component: LazyExoticComponent<ComponentType>;
  /** Listed in the main navigation. */
  nav?: boolean;
}

export const CORE_ROUTES: RouteDef[] = [
  { path: '/', navKey: 'nav.region', component: lazy(() => import('../pages/RegionPage')), nav: true },
  {
    path: '/map',
    navKey: 'nav.map',
    component: lazy(() => {
      prefetchCityMap(); // the data loads alongside the page's code
      return import('../pages/CityMapPage');
    }),
    nav: true,
  },
  { path: '/alerts', navKey: 'nav.alerts', component: lazy(() => import('../pages/AlertsPage')), nav: true },
];

export const ROUTES: RouteDef[] = [...CORE_ROUTES, ...MODULE_ROUTES];
