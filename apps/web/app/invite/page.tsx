import type { Metadata } from 'next';
import { InviteView } from '@/components/invite-view';

export const metadata: Metadata = { title: 'Join a workspace', referrer: 'no-referrer' };

export default function InvitePage() {
  return <InviteView />;
}
