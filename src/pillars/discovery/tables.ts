/**
 * Drizzle views of the discovery tables created by sql/0005_discovery.sql (the SQL file is the source of truth).
 * Derived columns (search_vector, meeting_earth, meeting_geog) are left out: triggers keep them.
 */
import { bigint, doublePrecision, integer, jsonb, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import type { CancellationPolicy, PriceOverrides, Prices, TourContent } from './schema.ts'

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export interface OperatorContact {
  email?: string
  phone?: string
  website?: string
}

export interface LineString {
  type: 'LineString'
  coordinates: number[][]
}

export interface Requirements {
  minAge?: number
  fitness?: 'low' | 'medium' | 'high'
  maxBodyWeightKg?: number
}

export interface Inclusions {
  included: string[]
  excluded: string[]
}

export const operators = pgTable('operators', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id').notNull(),
  name: text('name').notNull(),
  slug: text('slug').notNull(),
  contact: jsonb('contact').$type<OperatorContact>().notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

export const tours = pgTable('tours', {
  id: uuid('id').primaryKey(),
  operatorId: uuid('operator_id').notNull(),
  status: text('status', { enum: ['draft', 'published', 'archived'] }).notNull(),
  category: text('category').notNull(),
  difficulty: text('difficulty', { enum: ['easy', 'moderate', 'challenging', 'extreme'] }).notNull(),
  durationMinutes: integer('duration_minutes').notNull(),
  languages: text('languages').array().notNull(),
  content: jsonb('content').$type<TourContent>().notNull(),
  meetingLat: doublePrecision('meeting_lat').notNull(),
  meetingLng: doublePrecision('meeting_lng').notNull(),
  route: jsonb('route').$type<LineString | null>(),
  photos: jsonb('photos').$type<string[]>().notNull(),
  currency: text('currency').notNull(),
  prices: jsonb('prices').$type<Prices>().notNull(),
  priceFrom: bigint('price_from', { mode: 'number' }).notNull(),
  inclusions: jsonb('inclusions').$type<Inclusions>().notNull(),
  requirements: jsonb('requirements').$type<Requirements>().notNull(),
  cancellationPolicy: jsonb('cancellation_policy').$type<CancellationPolicy>().notNull(),
  minParticipants: integer('min_participants').notNull(),
  timezone: text('timezone').notNull(),
  rating: numeric('rating', { mode: 'number' }),
  reviewCount: integer('review_count').notNull(),
  searchText: text('search_text').notNull(),
  version: integer('version').notNull(),
  publishedAt: timestamptz('published_at'),
  archivedAt: timestamptz('archived_at'),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

export const departures = pgTable('departures', {
  id: uuid('id').primaryKey(),
  tourId: uuid('tour_id').notNull(),
  startsAt: timestamptz('starts_at').notNull(),
  capacity: integer('capacity').notNull(),
  seatsLeft: integer('seats_left').notNull(),
  priceOverrides: jsonb('price_overrides').$type<PriceOverrides | null>(),
  status: text('status', { enum: ['scheduled', 'cancelled'] }).notNull(),
  cancelReason: text('cancel_reason'),
  version: integer('version').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

export type OperatorRow = typeof operators.$inferSelect
export type TourRow = typeof tours.$inferSelect
export type NewTourRow = typeof tours.$inferInsert
export type DepartureRow = typeof departures.$inferSelect
export type NewDepartureRow = typeof departures.$inferInsert
