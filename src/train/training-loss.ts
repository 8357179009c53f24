/** The training methods; their losses on logits live with the engines that differentiate them. */
export { martLoss, meanCrossEntropy, tradesLoss } from '../models/training-loss.ts';

export type Method = 'standard' | 'pgd-at' | 'trades' | 'mart';
