/**
 * ISO-8601 durations as Knative's delivery spec writes them (`PT0.2S`, `PT1M`, `P1DT2H`), read the way
 * Knative reads them (rickb777/period): years and months are average lengths, fractions allowed in
 * every field.
 */
const DURATION =
  /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const SECOND = 1000;
const DAY = 86_400 * SECOND;
/** Milliseconds per unit, in the order of the regular expression's groups. */
const UNITS = [365.2425 * DAY, 30.436875 * DAY, 7 * DAY, DAY, 3600 * SECOND, 60 * SECOND, SECOND] as const;

/** Milliseconds, or undefined when `text` is not an ISO-8601 duration (`P` alone and `PT` are not). */
export function parseIsoDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim().toUpperCase());
  if (match === null || /^PT?$/.test(text.trim().toUpperCase())) return undefined;
  let total = 0;
  UNITS.forEach((unit, index) => {
    const value = match[index + 1];
    if (value !== undefined) total += Number(value.replace(',', '.')) * unit;
  });
  return Math.round(total);
}
