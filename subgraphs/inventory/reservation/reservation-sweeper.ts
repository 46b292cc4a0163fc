import type { EntityManager } from '../../../lib/database';
import type { Logger } from '../../../lib/logger';
import { startPeriodicTask, type PeriodicTask } from '../../../lib/periodic-task';
import { Reservation, ReservationStatus } from './reservation.entity';
import { expireReservation } from './reservation.service';

const BATCH_SIZE = 100;

/**
 * Releases every ACTIVE reservation whose expiresAt is at or before `now`,
 * one transaction per reservation (each re-checked under its lock, so a
 * commit racing the sweep wins cleanly, and several replicas may sweep at
 * once). Returns how many it released.
 */
export async function releaseExpiredReservations(em: EntityManager, now: Date = new Date()): Promise<number> {
  let released = 0;
  let after: { expiresAt: Date; id: string } | null = null;
  for (;;) {
    const due: Pick<Reservation, 'id' | 'orderId' | 'expiresAt'>[] = await em.fork().find(
      Reservation,
      {
        status: ReservationStatus.ACTIVE,
        expiresAt: { $lte: now },
        ...(after ? { $or: [{ expiresAt: { $gt: after.expiresAt } }, { expiresAt: after.expiresAt, id: { $gt: after.id } }] } : {}),
      },
      { fields: ['id', 'orderId', 'expiresAt'], orderBy: { expiresAt: 'asc', id: 'asc' }, limit: BATCH_SIZE },
    );
    for (const reservation of due) {
      if (await expireReservation(em.fork(), reservation.orderId, now)) released += 1;
    }
    if (due.length < BATCH_SIZE) return released;
    const last = due[due.length - 1];
    after = { expiresAt: last.expiresAt, id: last.id };
  }
}

export function startReservationSweeper(em: EntityManager, intervalMs: number, logger: Logger): PeriodicTask {
  return startPeriodicTask(
    'reservation-sweeper',
    intervalMs,
    async () => {
      const released = await releaseExpiredReservations(em.fork());
      if (released > 0) logger.info({ released }, 'released expired stock reservations');
    },
    logger,
  );
}
