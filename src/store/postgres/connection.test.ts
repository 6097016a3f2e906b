import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { connectionLost, reportingLostConnections } from './connection.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('connectionLost', () => {
  it("recognises sessions the server ended, failed connections and the driver's own words", () => {
    for (const err of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('08006', 'connection failure'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
    ]) {
      const lost = connectionLost(err);
      expect(lost?.code, err.message).toBe('TEMPORARILY_UNAVAILABLE');
      expect(lost?.message).toBe(`lost the connection to PostgreSQL: ${err.message}; check that the database is up, then retry`);
    }
  });

  it('leaves every other error alone', () => {
    for (const err of [
      pgError('23505', 'duplicate key'),
      pgError('42601', 'syntax error'),
      new MlxError('RESOURCE_DOES_NOT_EXIST', 'no run'),
      new Error('boom'),
      'text',
      null,
    ])
      expect(connectionLost(err)).toBeNull();
  });
});

describe('reportingLostConnections', () => {
  class Fake {
    #calls = 0;
    readonly name = 'fake';
    async lose(): Promise<never> {
      this.#calls++;
      throw new Error('Connection terminated unexpectedly');
    }
    loseNow(): never {
      throw pgError('57P01', 'terminating connection due to administrator command');
    }
    async other(): Promise<never> {
      throw pgError('23505', 'duplicate key');
    }
    async fine(x: number): Promise<number> {
      return x + this.#calls;
    }
  }

  it('turns lost connections into one-line errors, from async and sync methods alike, and passes the rest through', async () => {
    const store = reportingLostConnections(new Fake());
    expect(store.name).toBe('fake');
    expect(store).toBeInstanceOf(Fake);
    await expect(store.lose()).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    expect(() => store.loseNow()).toThrow(/^lost the connection to PostgreSQL: terminating connection/);
    await expect(store.other()).rejects.toMatchObject({ code: '23505' });
    // Methods run on the object itself: its private state is there.
    expect(await store.fine(1)).toBe(2);
  });
});
