export const routes = [
  { id: 'screen', label: 'Screen', hint: 'Record or load cough, speech and breathing; get a screening result' },
  { id: 'pose', label: 'Pose', hint: 'Classify body pose from depth and thermal frames' },
  { id: 'models', label: 'Models', hint: 'Compressed models, their accuracy and memory fit' },
  { id: 'devices', label: 'Devices', hint: 'GAPuino boards and Raspberry Pis: deploy, verify, roll back' },
  { id: 'retrain', label: 'Retrain', hint: 'Retrain on new labelled local data and compare' },
] as const;

export type RouteId = (typeof routes)[number]['id'];

export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '');
  return routes.find((r) => r.id === id)?.id ?? 'screen';
}
