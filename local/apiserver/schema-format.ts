/**
 * String formats kube-apiserver checks in custom resources (`date-time`, `date`), and the DNS-1123
 * subdomain rule for object names, with the messages of `k8s.io/apimachinery/pkg/util/validation`.
 * Formats it does not know are accepted, as kube-apiserver strips them from the validation schema.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** strfmt's `IsDateTime`: a date, `T` (either case), a time with optional fraction, `Z` or an offset. */
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function isDate(text: string): boolean {
  const match = DATE.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function isDateTime(text: string): boolean {
  const [date = '', time = '', ...rest] = text.split(/[Tt]/);
  if (rest.length > 0 || !isDate(date)) return false;
  const match = TIME.exec(time);
  if (match === null) return false;
  return Number(match[1]) <= 23 && Number(match[2]) <= 59 && Number(match[3]) <= 59;
}

/** Whether `value` satisfies `format`; unknown formats pass. */
export function checkFormat(format: string, value: string): boolean {
  if (format === 'date-time') return isDateTime(value);
  if (format === 'date') return isDate(value);
  return true;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MAX = 253;

/** `IsDNS1123Subdomain`: the problems with a name, in kube-apiserver's words (empty when valid). */
export function dns1123SubdomainErrors(name: string): string[] {
  const errors: string[] = [];
  if (name.length > DNS1123_SUBDOMAIN_MAX) errors.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
  if (!DNS1123_SUBDOMAIN.test(name)) {
    errors.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end " +
        "with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errors;
}
