-- AlterTable
ALTER TABLE "automation_versions" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'javascript';

