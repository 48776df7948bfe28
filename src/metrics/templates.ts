/**
 * The template packs (Status Blocks "SaaS", "E-commerce", "API"). Event names and formulas are
 * part of the contract: the README lists every one. Within a pack, a formula comes after the
 * metrics it names, so applying a pack creates them in this order.
 */
import type { DefinitionInput } from './definition'

export interface TemplateMetric extends DefinitionInput {
  name: string
  slug: string
}

export interface Template {
  key: string
  name: string
  description: string
  metrics: TemplateMetric[]
}

const payment = 'subscription_payment'

export const TEMPLATES: Template[] = [
  {
    key: 'saas',
    name: 'SaaS',
    description:
      'Signups, active users, MRR, paying customers, ARPU, churn, LTV and quick ratio from user_signup, user_login, subscription_payment (value, metadata.period, metadata.plan) and subscription_cancelled events.',
    metrics: [
      {
        slug: 'signups',
        name: 'Signups',
        description: 'New signups in the last 30 days.',
        kind: 'aggregate',
        event: 'user_signup',
        aggregation: 'count',
        window: '30d',
        format: 'number',
      },
      {
        slug: 'dau',
        name: 'Daily active users',
        description: 'Distinct users with any event today.',
        kind: 'aggregate',
        event: null,
        aggregation: 'unique_users',
        window: 'day',
        format: 'number',
      },
      {
        slug: 'wau',
        name: 'Weekly active users',
        description: 'Distinct users with any event in the last 7 days.',
        kind: 'aggregate',
        event: null,
        aggregation: 'unique_users',
        window: '7d',
        format: 'number',
      },
      {
        slug: 'mau',
        name: 'Monthly active users',
        description: 'Distinct users with any event in the last 30 days.',
        kind: 'aggregate',
        event: null,
        aggregation: 'unique_users',
        window: '30d',
        format: 'number',
      },
      {
        slug: 'mrr',
        name: 'MRR',
        description:
          'Monthly recurring revenue: every payment counts for the period it pays for (monthly: 1 month; quarterly: 3 months, value / 3; yearly: 12 months, value / 12).',
        kind: 'aggregate',
        event: payment,
        aggregation: 'mrr',
        field: 'value',
        format: 'currency',
      },
      {
        slug: 'paying_customers',
        name: 'Paying customers',
        description: 'Distinct users with a payment covering now.',
        kind: 'aggregate',
        event: payment,
        aggregation: 'subscribers',
        format: 'number',
      },
      {
        slug: 'arpu',
        name: 'ARPU',
        description: 'Average revenue per paying customer (MRR / paying customers).',
        kind: 'formula',
        formula: 'mrr / paying_customers',
        format: 'currency',
      },
      {
        slug: 'cancellations',
        name: 'Cancellations',
        description: 'Cancellations in the last 30 days.',
        kind: 'aggregate',
        event: 'subscription_cancelled',
        aggregation: 'count',
        window: '30d',
        format: 'number',
      },
      {
        slug: 'churn_rate',
        name: 'Churn rate',
        description: 'Cancellations in the last 30 days as a percent of paying customers.',
        kind: 'formula',
        formula: 'cancellations / paying_customers * 100',
        format: 'percent',
      },
      {
        slug: 'ltv',
        name: 'LTV',
        description: 'Customer lifetime value: ARPU divided by the monthly churn rate.',
        kind: 'formula',
        formula: 'arpu / (churn_rate / 100)',
        format: 'currency',
      },
      {
        slug: 'quick_ratio',
        name: 'Quick ratio',
        description: 'Growth efficiency: signups per cancellation over the last 30 days.',
        kind: 'formula',
        formula: 'signups / cancellations',
        format: 'number',
      },
    ],
  },
  {
    key: 'ecommerce',
    name: 'E-commerce',
    description:
      'Revenue, orders, average order value, customers, repeat purchases and refunds from order_completed and order_refunded events (value = amount).',
    metrics: [
      {
        slug: 'revenue',
        name: 'Revenue',
        description: 'Order amounts in the last 30 days.',
        kind: 'aggregate',
        event: 'order_completed',
        aggregation: 'sum',
        field: 'value',
        window: '30d',
        format: 'currency',
      },
      {
        slug: 'orders',
        name: 'Orders',
        description: 'Orders in the last 30 days.',
        kind: 'aggregate',
        event: 'order_completed',
        aggregation: 'count',
        window: '30d',
        format: 'number',
      },
      {
        slug: 'aov',
        name: 'Average order value',
        description: 'Revenue / orders.',
        kind: 'formula',
        formula: 'revenue / orders',
        format: 'currency',
      },
      {
        slug: 'customers',
        name: 'Customers',
        description: 'Distinct users who ordered in the last 30 days.',
        kind: 'aggregate',
        event: 'order_completed',
        aggregation: 'unique_users',
        window: '30d',
        format: 'number',
      },
      {
        slug: 'repeat_customers',
        name: 'Repeat customers',
        description: 'Distinct users with two or more orders in the last 30 days.',
        kind: 'aggregate',
        event: 'order_completed',
        aggregation: 'repeat_users',
        window: '30d',
        format: 'number',
      },
      {
        slug: 'repeat_purchase_rate',
        name: 'Repeat purchase rate',
        description: 'Percent of customers with two or more orders in the last 30 days.',
        kind: 'formula',
        formula: 'repeat_customers / customers * 100',
        format: 'percent',
      },
      {
        slug: 'refunds',
        name: 'Refunds',
        description: 'Refunded amounts in the last 30 days.',
        kind: 'aggregate',
        event: 'order_refunded',
        aggregation: 'sum',
        field: 'value',
        window: '30d',
        format: 'currency',
      },
      {
        slug: 'net_revenue',
        name: 'Net revenue',
        description: 'Revenue minus refunds.',
        kind: 'formula',
        formula: 'revenue - refunds',
        format: 'currency',
      },
    ],
  },
  {
    key: 'api',
    name: 'API',
    description:
      'Requests, error rate, p95 latency and active consumers from api_request events (value = latency in ms, metadata.status = HTTP status).',
    metrics: [
      {
        slug: 'requests',
        name: 'Requests',
        description: 'API requests today.',
        kind: 'aggregate',
        event: 'api_request',
        aggregation: 'count',
        window: 'day',
        format: 'number',
      },
      {
        slug: 'server_errors',
        name: 'Server errors',
        description: 'API requests answered with a status of 500 or more today.',
        kind: 'aggregate',
        event: 'api_request',
        aggregation: 'count',
        filters: [{ field: 'metadata.status', op: 'gte', value: 500 }],
        window: 'day',
        format: 'number',
      },
      {
        slug: 'error_rate',
        name: 'Error rate',
        description: "Percent of today's requests answered with a status of 500 or more.",
        kind: 'formula',
        formula: 'server_errors / requests * 100',
        format: 'percent',
      },
      {
        slug: 'p95_latency',
        name: 'p95 latency',
        description: '95th percentile of request latency (ms) today.',
        kind: 'aggregate',
        event: 'api_request',
        aggregation: 'p95',
        field: 'value',
        window: 'day',
        format: 'number',
      },
      {
        slug: 'active_consumers',
        name: 'Active consumers',
        description: 'Distinct users calling the API in the last 30 days.',
        kind: 'aggregate',
        event: 'api_request',
        aggregation: 'unique_users',
        window: '30d',
        format: 'number',
      },
    ],
  },
]

export const templateByKey = (key: string): Template | undefined => TEMPLATES.find((t) => t.key === key)
