-- AlterTable
ALTER TABLE "repairs" ADD COLUMN     "cost_usd" DOUBLE PRECISION;

