import { InvalidArgumentError } from 'commander';

/** commander argument parsers that name the bad value. */
export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`'${text}' is not a positive integer`);
  return value;
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value))
    throw new InvalidArgumentError(`'${text}' is not a positive number`);
  return value;
}

export function nonNegativeInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError(`'${text}' is not a whole number ≥ 0`);
  return value;
}
