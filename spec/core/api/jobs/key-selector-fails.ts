// A job whose key selector fails on one record: 'parse' emits ids 1..6 into a keyBy, and the selector throws on id 4
// or returns no key for it (an object). Where the keyBy goes comes from the URL: into a one-input keyed map
// 'keyed', or into the second input of a keyed co-map 'joined' (its first input keyed without a failure).
//   ?into=keyed|joined&fault=throw|object
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const into = q.get('into') ?? 'keyed';
const fault = q.get('fault') ?? 'throw';

interface In { id: number; user: { name: string } | null }

const selector = (r: In): string => {
  if (r.id !== 4) return r.user!.name;
  if (fault === 'throw') return r.user!.name;
  return { name: 'not a key' } as unknown as string;
};

export default defineJob((env) => {
  const input: In[] = Array.from({ length: 6 }, (_, i) => ({ id: i + 1, user: i + 1 === 4 ? null : { name: `u${i % 2}` } }));
  const parsed = env.fromCollection(input).name('src').map((r) => r).name('parse');
  if (into === 'keyed') {
    parsed.keyBy(selector).map((r) => r.id).name('keyed').collect().name('out');
  } else {
    const other = env.fromCollection([{ id: 0, user: { name: 'u0' } }] as In[]).name('other');
    other.connect(parsed).keyBy((r) => r.user!.name, selector).map({ map1: (r) => r.id, map2: (r) => r.id }).name('joined').collect().name('out');
  }
});
