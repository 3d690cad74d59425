import { Group, Text } from '@mantine/core';

/** The Mendflow mark (same drawing as app/icon.svg) and word mark. */
export function Logo({ size = 28, withText = true }: { size?: number; withText?: boolean }) {
  return (
    <Group gap={8} wrap="nowrap">
      <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <rect width="32" height="32" rx="7" fill="#4851e6" />
        <path
          d="M8 22V10l8 8 8-8v12"
          fill="none"
          stroke="#fff"
          strokeWidth="3"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      {withText ? (
        <Text fw={700} size="lg" style={{ letterSpacing: '-0.01em' }}>
          Mendflow
        </Text>
      ) : null}
    </Group>
  );
}
