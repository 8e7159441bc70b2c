import i18n from 'i18next';
import type { ExpressionSpecification } from 'maplibre-gl';
import { COLORS, registerMapLayer } from '../../map/layers';

/**
 * The social centres on the city map (hub entities of type SocialCentre: what a centre offers and
 * where, never whom it serves). Loaded with the module registry, before the map page.
 */
const free = ['coalesce', ['to-number', ['get', 'availablePlaces']], 0] as ExpressionSpecification;

registerMapLayer({
  id: 'socialCentres',
  entityTypes: ['SocialCentre'],
  attrs: ['centreType', 'services', 'availablePlaces', 'waitingList', 'averageWaitDays', 'synthetic'],
  color: ['case', ['>', free, 0], COLORS.ok, COLORS.high],
  legend: [
    { label: 'legend.socialCentres.free', color: COLORS.ok },
    { label: 'legend.socialCentres.full', color: COLORS.high },
  ],
  visible: false,
});

const TEXT = {
  fr: { layers: { socialCentres: 'Centres sociaux (démo fictive)' }, legend: { socialCentres: { free: 'Places disponibles', full: "Complet (liste d'attente)" } } },
  ar: { layers: { socialCentres: 'المراكز الاجتماعية (تجريبية وهمية)' }, legend: { socialCentres: { free: 'أماكن متاحة', full: 'ممتلئ (لائحة انتظار)' } } },
  en: { layers: { socialCentres: 'Social centres (fictitious demo)' }, legend: { socialCentres: { free: 'Places available', full: 'Full (waiting list)' } } },
};
const addTexts = () => {
  for (const [lang, texts] of Object.entries(TEXT)) i18n.addResourceBundle(lang, 'translation', texts, true, false);
};
// The registry is evaluated before i18n is initialised.
if (i18n.isInitialized) addTexts();
else i18n.on('initialized', addTexts);
