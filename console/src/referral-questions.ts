/** Questions an officer can refer a consignment with (a reason code each); the trader answers in free text and documents. */
export const QUESTIONS = [
  ['VALUE_QUERY', 'Is the declared value right? Send the invoice.'],
  ['ORIGIN_QUERY', 'Where were the goods made?'],
  ['DESCRIPTION_QUERY', 'What exactly are the goods?'],
  ['DOCUMENT_REQUEST', 'Send a licence or certificate for the goods.'],
] as const;

/** The reason code every referral carries beside its question. */
export const REQUEST_INFORMATION = 'REQUEST_INFORMATION';

/** What a referral's reason codes ask, in words, each with its code (a code of no known question as it is). */
export function questionOf(reasonCodes: readonly string[]): string {
  const asked = reasonCodes.filter((code) => code !== REQUEST_INFORMATION);
  if (asked.length === 0) return 'for information';
  return asked
    .map((code) => {
      const text = QUESTIONS.find(([known]) => known === code)?.[1];
      return text ? `${text} (${code})` : code;
    })
    .join(' ');
}
