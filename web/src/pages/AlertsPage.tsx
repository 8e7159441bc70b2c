import { useTranslation } from 'react-i18next';
import { useRouter } from '../app/router';
import { AlertsList } from './AlertsList';

export default function AlertsPage() {
  const { t } = useTranslation();
  const { navigate } = useRouter();
  return (
    <div className="page page-narrow alerts-page">
      <h1>{t('alerts.pageTitle')}</h1>
      <p className="lede">{t('alerts.lede')}</p>
      <AlertsList onOpen={(a) => navigate(`/map?entity=${encodeURIComponent(a.id)}`)} />
    </div>
  );
}
