/**
 * The services citizens can report on (Open311 "services"), in French, Arabic and English, with their
 * group, keywords, attributes (Open311 service definitions), the asset type a report is linked to and the
 * service level (SLA) the commune commits to. Codes are stable: Open311 clients store them.
 */

export type Lang = 'fr' | 'ar' | 'en';
export type Text = Record<Lang, string>;

export type Datatype = 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';

export interface AttributeDef {
  code: string;
  /** false: shown to the reporter only (information), never asked. */
  variable: boolean;
  datatype: Datatype;
  required: boolean;
  description: Text;
  datatypeDescription?: Text;
  values?: { key: string; name: Text }[];
}

export interface ServiceDef {
  code: string;
  name: Text;
  description: Text;
  group: string;
  keywords: string[];
  /** Hub entity type of the asset a report is linked to (nearest within the radius). */
  assetType?: 'Streetlight' | 'WasteContainer';
  /** Hours to close a request (the service level agreement); expected_datetime = requested + sla. */
  slaHours: number;
  /** Department answering it in every commune (agency_responsible = commune + department). */
  department: Text;
  attributes: AttributeDef[];
}

export const GROUPS: Record<string, Text> = {
  'eclairage-public': { fr: 'Éclairage public', ar: 'الإنارة العمومية', en: 'Street lighting' },
  dechets: { fr: 'Déchets et propreté', ar: 'النفايات والنظافة', en: 'Waste and cleanliness' },
  voirie: { fr: 'Voirie', ar: 'الطرق', en: 'Roads and pavements' },
  'mobilier-urbain': { fr: 'Mobilier urbain', ar: 'التجهيزات الحضرية', en: 'Street furniture' },
  'espaces-verts': { fr: 'Espaces verts', ar: 'المساحات الخضراء', en: 'Parks and trees' },
};

const t = (fr: string, ar: string, en: string): Text => ({ fr, ar, en });
const v = (key: string, fr: string, ar: string, en: string) => ({ key, name: t(fr, ar, en) });

const DEPT = {
  lighting: t('Service de l’éclairage public', 'مصلحة الإنارة العمومية', 'Street lighting department'),
  waste: t('Service de la propreté', 'مصلحة النظافة', 'Cleanliness department'),
  roads: t('Service de la voirie', 'مصلحة الطرق', 'Roads department'),
  furniture: t('Service des équipements urbains', 'مصلحة التجهيزات الحضرية', 'Street furniture department'),
  parks: t('Service des espaces verts', 'مصلحة المساحات الخضراء', 'Parks department'),
};

export const SERVICES: ServiceDef[] = [
  {
    code: 'eclairage-panne',
    name: t('Lampadaire en panne', 'عمود إنارة معطل', 'Streetlight out'),
    description: t('Un lampadaire éteint la nuit, qui clignote ou reste allumé le jour.', 'عمود إنارة مطفأ ليلا أو يومض أو مشتعل نهارا.', 'A streetlight off at night, flickering, or on during the day.'),
    group: 'eclairage-public',
    keywords: ['lampadaire', 'lumière', 'éclairage', 'streetlight', 'lamp', 'إنارة'],
    assetType: 'Streetlight',
    slaHours: 72,
    department: DEPT.lighting,
    attributes: [
      {
        code: 'fault',
        variable: true,
        datatype: 'singlevaluelist',
        required: true,
        description: t('Que constatez-vous ?', 'ماذا تلاحظ؟', 'What do you see?'),
        values: [
          v('off', 'Éteint la nuit', 'مطفأ ليلا', 'Off at night'),
          v('flickering', 'Clignote', 'يومض', 'Flickering'),
          v('on-by-day', 'Allumé le jour', 'مشتعل نهارا', 'On during the day'),
          v('damaged', 'Mât ou lanterne endommagé', 'عمود أو فانوس متضرر', 'Pole or lantern damaged'),
        ],
      },
      {
        code: 'pole_number',
        variable: true,
        datatype: 'string',
        required: false,
        description: t('Numéro peint sur le mât, s’il y en a un', 'الرقم المكتوب على العمود إن وجد', 'Number painted on the pole, if any'),
      },
    ],
  },
  {
    code: 'eclairage-rue-sombre',
    name: t('Rue non éclairée', 'شارع غير مضاء', 'Dark street'),
    description: t('Une rue ou une ruelle sans aucun éclairage.', 'شارع أو زقاق بدون إنارة.', 'A street or lane with no lighting at all.'),
    group: 'eclairage-public',
    keywords: ['rue sombre', 'obscurité', 'sécurité', 'dark', 'ظلام'],
    slaHours: 168,
    department: DEPT.lighting,
    attributes: [
      {
        code: 'length_m',
        variable: true,
        datatype: 'number',
        required: false,
        description: t('Longueur approximative non éclairée (m)', 'الطول التقريبي غير المضاء (م)', 'Approximate unlit length (m)'),
        datatypeDescription: t('Un nombre de mètres', 'عدد الأمتار', 'A number of metres'),
      },
    ],
  },
  {
    code: 'dechets-conteneur-plein',
    name: t('Conteneur plein ou débordant', 'حاوية ممتلئة أو فائضة', 'Full or overflowing bin'),
    description: t('Un conteneur à déchets plein, débordant ou entouré de sacs.', 'حاوية نفايات ممتلئة أو فائضة أو محاطة بالأكياس.', 'A waste container that is full, overflowing or surrounded by bags.'),
    group: 'dechets',
    keywords: ['poubelle', 'conteneur', 'ordures', 'bin', 'container', 'حاوية'],
    assetType: 'WasteContainer',
    slaHours: 24,
    department: DEPT.waste,
    attributes: [
      {
        code: 'level',
        variable: true,
        datatype: 'singlevaluelist',
        required: true,
        description: t('État du conteneur', 'حالة الحاوية', 'State of the bin'),
        values: [v('full', 'Plein', 'ممتلئة', 'Full'), v('overflowing', 'Débordant', 'فائضة', 'Overflowing'), v('bags-around', 'Sacs autour', 'أكياس حولها', 'Bags around it')],
      },
    ],
  },
  {
    code: 'dechets-conteneur-endommage',
    name: t('Conteneur endommagé', 'حاوية متضررة', 'Damaged bin'),
    description: t('Conteneur cassé, brûlé, sans couvercle ou renversé.', 'حاوية مكسورة أو محروقة أو بدون غطاء أو مقلوبة.', 'A broken, burnt, lidless or overturned container.'),
    group: 'dechets',
    keywords: ['conteneur cassé', 'couvercle', 'damaged bin', 'حاوية'],
    assetType: 'WasteContainer',
    slaHours: 168,
    department: DEPT.waste,
    attributes: [],
  },
  {
    code: 'dechets-depot-sauvage',
    name: t('Dépôt sauvage', 'رمي عشوائي للنفايات', 'Fly-tipping'),
    description: t('Déchets abandonnés sur la voie publique ou un terrain vague.', 'نفايات مرمية في الطريق العام أو في أرض خلاء.', 'Waste dumped in the street or on waste ground.'),
    group: 'dechets',
    keywords: ['dépôt sauvage', 'gravats', 'encombrants', 'fly-tipping', 'ردم'],
    slaHours: 72,
    department: DEPT.waste,
    attributes: [
      {
        code: 'kinds',
        variable: true,
        datatype: 'multivaluelist',
        required: true,
        description: t('Quels déchets ?', 'ما نوع النفايات؟', 'What kind of waste?'),
        values: [
          v('household', 'Ordures ménagères', 'نفايات منزلية', 'Household waste'),
          v('rubble', 'Gravats', 'ردم', 'Rubble'),
          v('bulky', 'Encombrants', 'أثاث وأغراض كبيرة', 'Bulky items'),
          v('green', 'Déchets verts', 'نفايات خضراء', 'Garden waste'),
        ],
      },
      {
        code: 'volume_m3',
        variable: true,
        datatype: 'number',
        required: false,
        description: t('Volume approximatif (m³)', 'الحجم التقريبي (م³)', 'Approximate volume (m³)'),
      },
    ],
  },
  {
    code: 'voirie-nid-de-poule',
    name: t('Nid-de-poule', 'حفرة في الطريق', 'Pothole'),
    description: t('Un trou dans la chaussée.', 'حفرة في قارعة الطريق.', 'A hole in the road surface.'),
    group: 'voirie',
    keywords: ['nid de poule', 'trou', 'chaussée', 'pothole', 'حفرة'],
    slaHours: 336,
    department: DEPT.roads,
    attributes: [
      {
        code: 'danger_notice',
        variable: false,
        datatype: 'text',
        required: false,
        description: t('En cas de danger immédiat, appelez la protection civile (15).', 'في حالة خطر وشيك، اتصلوا بالوقاية المدنية (15).', 'If there is immediate danger, call civil protection (15).'),
      },
      {
        code: 'size',
        variable: true,
        datatype: 'singlevaluelist',
        required: false,
        description: t('Taille', 'الحجم', 'Size'),
        values: [v('small', 'Moins de 30 cm', 'أقل من 30 سم', 'Under 30 cm'), v('medium', '30 cm à 1 m', 'من 30 سم إلى 1 م', '30 cm to 1 m'), v('large', 'Plus de 1 m', 'أكثر من 1 م', 'Over 1 m')],
      },
    ],
  },
  {
    code: 'voirie-trottoir',
    name: t('Trottoir endommagé', 'رصيف متضرر', 'Damaged pavement'),
    description: t('Trottoir cassé, dalles soulevées, bordure manquante.', 'رصيف مكسور أو بلاطات مرتفعة أو حافة مفقودة.', 'Broken pavement, lifted slabs, missing kerb.'),
    group: 'voirie',
    keywords: ['trottoir', 'accessibilité', 'pavement', 'sidewalk', 'رصيف'],
    slaHours: 720,
    department: DEPT.roads,
    attributes: [
      {
        code: 'details',
        variable: true,
        datatype: 'text',
        required: false,
        description: t('Gêne-t-il les fauteuils roulants ou les poussettes ?', 'هل يعيق الكراسي المتحركة أو عربات الأطفال؟', 'Does it block wheelchairs or pushchairs?'),
      },
    ],
  },
  {
    code: 'mobilier-banc',
    name: t('Banc ou abri cassé', 'مقعد أو مظلة مكسورة', 'Broken bench or shelter'),
    description: t('Banc public, abribus ou fontaine endommagé.', 'مقعد عمومي أو مظلة حافلة أو سقاية متضررة.', 'A damaged public bench, bus shelter or fountain.'),
    group: 'mobilier-urbain',
    keywords: ['banc', 'abribus', 'fontaine', 'bench', 'مقعد'],
    slaHours: 336,
    department: DEPT.furniture,
    attributes: [],
  },
  {
    code: 'mobilier-signalisation',
    name: t('Panneau ou feu endommagé', 'علامة أو إشارة ضوئية متضررة', 'Damaged sign or traffic light'),
    description: t('Panneau de signalisation tombé, illisible, ou feu tricolore en panne.', 'علامة مرور ساقطة أو غير مقروءة أو إشارة ضوئية معطلة.', 'A fallen or unreadable road sign, or a traffic light out of order.'),
    group: 'mobilier-urbain',
    keywords: ['panneau', 'feu rouge', 'signalisation', 'sign', 'traffic light', 'إشارة'],
    slaHours: 48,
    department: DEPT.furniture,
    attributes: [
      {
        code: 'seen_at',
        variable: true,
        datatype: 'datetime',
        required: false,
        description: t('Depuis quand ?', 'منذ متى؟', 'Since when?'),
        datatypeDescription: t('Date et heure (ISO 8601)', 'التاريخ والساعة (ISO 8601)', 'Date and time (ISO 8601)'),
      },
    ],
  },
  {
    code: 'espaces-verts-arbre',
    name: t('Arbre dangereux ou tombé', 'شجرة خطرة أو ساقطة', 'Dangerous or fallen tree'),
    description: t('Arbre tombé, branche menaçante, racines qui soulèvent la chaussée.', 'شجرة ساقطة أو غصن مهدد أو جذور ترفع الطريق.', 'A fallen tree, a threatening branch, roots lifting the road.'),
    group: 'espaces-verts',
    keywords: ['arbre', 'branche', 'tree', 'شجرة'],
    slaHours: 48,
    department: DEPT.parks,
    attributes: [],
  },
  {
    code: 'espaces-verts-entretien',
    name: t('Espace vert mal entretenu', 'مساحة خضراء مهملة', 'Neglected green space'),
    description: t('Parc, jardin ou terre-plein non entretenu, arrosage en panne.', 'حديقة أو جزيرة وسطية مهملة أو سقي معطل.', 'A park, garden or verge not maintained, broken watering.'),
    group: 'espaces-verts',
    keywords: ['parc', 'jardin', 'pelouse', 'park', 'حديقة'],
    slaHours: 720,
    department: DEPT.parks,
    attributes: [],
  },
];

const BY_CODE = new Map(SERVICES.map((s) => [s.code, s]));
export const serviceByCode = (code: string) => BY_CODE.get(code);

export const pickLang = (l: unknown): Lang => (l === 'ar' || l === 'en' ? l : 'fr');
